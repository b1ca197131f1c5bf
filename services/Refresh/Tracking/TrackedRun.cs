using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.Tracking;

/// <summary>
/// The data of one run's poll job: everything a poll needs, so that any replica (or this one after a restart) can
/// carry on from the job alone. Delivered back as the body of <c>POST /job/{name}</c>.
/// </summary>
public sealed record TrackedRun
{
    public required string RunId { get; init; }
    public string? JobId { get; init; }
    public required string Workspace { get; init; }
    public required string Report { get; init; }
    public required string ModeRunToken { get; init; }
    public DateTimeOffset AcceptedAt { get; init; }
    public DateTimeOffset Deadline { get; init; }
    public int Polls { get; init; }
    public string? LastSeen { get; init; }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrackedRun))]
internal sealed partial class TrackingJsonContext : JsonSerializerContext;
