using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ModeRefresh.TestSupport;

/// <summary>Every span that stops in this process while it lives (listeners are process-wide: filter by your own ids).</summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Stopped { get; } = new();

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// Measurements of one app's meter. Other tests' apps run in parallel with the same meter name, so only the meters
/// of the given <see cref="IMeterFactory"/> (the app's own) are listened to.
/// </summary>
public sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeasurementRecorder(string meterName, IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Meter.Scope == scope) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        _listener.SetMeasurementEventCallback<int>((i, _, tags, _) => Record(i, tags));
        _listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        _listener.Start();
    }

    /// <summary>"tag=value" for each tag of each measurement.</summary>
    public ConcurrentQueue<string> Tags { get; } = new();

    /// <summary>The instrument's name, then "instrument tag=value" per tag, for each measurement.</summary>
    public ConcurrentQueue<string> Seen { get; } = new();

    private void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Seen.Enqueue(instrument.Name);
        foreach (var tag in tags)
        {
            Tags.Enqueue($"{tag.Key}={tag.Value}");
            Seen.Enqueue($"{instrument.Name} {tag.Key}={tag.Value}");
        }
    }

    public void Dispose() => _listener.Dispose();
}
