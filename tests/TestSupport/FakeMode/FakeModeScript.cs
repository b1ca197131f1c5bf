namespace ModeRefresh.TestSupport;

/// <summary>The fault plan: per-report queues, then a global queue, overridden by an outage window.</summary>
internal sealed class FakeModeScript(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<FakeModeResponse>> _perReport = new(StringComparer.Ordinal);
    private readonly Queue<FakeModeResponse> _global = new();
    private (DateTimeOffset Until, FakeModeResponse Response)? _outage;

    public void Enqueue(FakeModeResponse response, string? report, int times)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            var queue = report is null ? _global : _perReport.TryGetValue(report, out var q) ? q : _perReport[report] = new();
            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(response);
            }
        }
    }

    public void StartOutage(TimeSpan duration, FakeModeResponse response)
    {
        lock (_gate)
        {
            _outage = (clock.GetUtcNow() + duration, response);
        }
    }

    public void EndOutage()
    {
        lock (_gate)
        {
            _outage = null;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _perReport.Clear();
            _global.Clear();
            _outage = null;
        }
    }

    /// <summary>The outage's answer while one is on, else null.</summary>
    public FakeModeResponse? CurrentOutage()
    {
        lock (_gate)
        {
            return _outage is { } outage && clock.GetUtcNow() < outage.Until ? outage.Response : null;
        }
    }

    /// <summary>The answer for the next call to <paramref name="report"/>; consumes one scripted entry.</summary>
    public FakeModeResponse Next(string? report)
    {
        lock (_gate)
        {
            if (_outage is { } outage && clock.GetUtcNow() < outage.Until)
            {
                return outage.Response;
            }

            if (report is not null && _perReport.TryGetValue(report, out var queue) && queue.TryDequeue(out var scripted))
            {
                return scripted;
            }

            return _global.TryDequeue(out var global) ? global : FakeModeResponse.Normal;
        }
    }
}
