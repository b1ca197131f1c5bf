using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr;
using Microsoft.Extensions.Options;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Planning.Routing;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.Refresh.Mode;

namespace ModeRefresh.Refresh.Runs;

/// <summary>
/// How far the reports of one dbt run have got, for events that match many reports: the number of leading reports
/// (in configured order) that are settled, done or failed for good, and the failures among them. A redelivery starts
/// after them instead of asking the state store about each one again.
/// </summary>
/// <param name="Settled">Reports 0..Settled-1 are done or failed permanently.</param>
/// <param name="Failed">How many of those failed permanently.</param>
/// <param name="Reasons">The first few of their reasons (bounded).</param>
public sealed record SweepProgress(int Settled, int Failed, IReadOnlyList<string> Reasons)
{
    public static readonly SweepProgress None = new(0, 0, []);
}

/// <summary>
/// <see cref="SweepProgress"/> in <c>Dapr:StateStore</c> under <c>mode-progress:{runId}:{list}</c>, where list
/// identifies the matched reports in order, so a changed route table never reuses a stale position. Best effort
/// and last-write-wins: every value written is true (settled records stay settled), a lost or stale one only
/// costs re-checking reports whose run records say they are settled.
/// </summary>
public sealed partial class SweepProgressStore(
    JsonRecordStore records,
    IOptions<IdempotencyOptions> idempotency,
    ILogger<SweepProgressStore> logger)
{
    public static string KeyFor(string runId, IReadOnlyList<ReportTarget> targets)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var target in targets)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{target.Workspace}\n{target.Report}\n"));
        }

        return $"mode-progress:{runId}:{Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}";
    }

    public async Task<SweepProgress> ReadAsync(string key, int count, CancellationToken ct)
    {
        try
        {
            var (stored, _) = await records.ReadAsync(key, SweepJsonContext.Default.SweepProgress, ex =>
            {
                LogUnavailable(logger, ex, key);
                return null;
            }, ct);
            return stored is null || stored.Settled < 0 || stored.Settled > count || stored.Failed < 0 || stored.Failed > stored.Settled
                ? SweepProgress.None
                : stored;
        }
        catch (DaprException ex)
        {
            LogUnavailable(logger, ex, key);
            return SweepProgress.None;
        }
    }

    public async Task SaveAsync(string key, SweepProgress progress)
    {
        try
        {
            await records.SaveAsync(key, progress, SweepJsonContext.Default.SweepProgress, idempotency.Value.RecordTtl, CancellationToken.None);
        }
        catch (DaprException ex)
        {
            LogUnavailable(logger, ex, key);
        }
    }

    [LoggerMessage(EventId = 540, Level = LogLevel.Warning,
        Message = "Progress record {Key} could not be read or saved; the next delivery checks those reports again")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string key);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SweepProgress))]
internal sealed partial class SweepJsonContext : JsonSerializerContext;
