namespace ModeRefresh.Contracts;

/// <summary>Published by Refresh after Mode accepted a report run, so other services can follow it.</summary>
public sealed record ModeReportRunAccepted
{
    public required string RunId { get; init; }
    public string? JobId { get; init; }
    public required string Workspace { get; init; }
    public required string Report { get; init; }
    public required string ModeRunToken { get; init; }
    public string? State { get; init; }
}
