using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>Calls and accepted publishes, in arrival order. Readers get copies, so tests can enumerate freely.</summary>
internal sealed class StandInRecorder(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly List<RecordedCall> _calls = [];
    private readonly List<PublishedMessage> _published = [];
    private TaskCompletionSource _publishedChanged = NewSignal();

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    public IReadOnlyList<PublishedMessage> Published
    {
        get
        {
            lock (_gate)
            {
                return _published.ToArray();
            }
        }
    }

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>False: record nothing (benchmarks measure the services, not this list growing).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Takes the call's place in line on arrival, so a hung call is listed before calls that overtake it.</summary>
    public int Arrive(string method, IMessage request, string? apiToken)
    {
        if (!Enabled) return -1;
        lock (_gate)
        {
            _calls.Add(new RecordedCall(method, request, apiToken, clock.GetUtcNow(), StatusCode.Unknown));
            return _calls.Count - 1;
        }
    }

    public void Complete(int index, StatusCode outcome)
    {
        if (index < 0) return;
        lock (_gate)
        {
            _calls[index] = _calls[index] with { Outcome = outcome };
        }
    }

    public void AddPublished(PublishedMessage message)
    {
        if (!Enabled) return;
        TaskCompletionSource changed;
        lock (_gate)
        {
            _published.Add(message);
            changed = _publishedChanged;
            _publishedChanged = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>
    /// Returns the first accepted publish (earlier ones included) that matches. The timeout is wall-clock time,
    /// even when the sidecar runs on a fake TimeProvider, so a test cannot wait forever.
    /// </summary>
    public async Task<PublishedMessage> WaitForPublishAsync(Func<PublishedMessage, bool> match, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(match);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            PublishedMessage[] seen;
            lock (_gate)
            {
                changed = _publishedChanged.Task;
                seen = [.. _published];
            }

            // The predicate is test code: run it outside the lock.
            if (seen.FirstOrDefault(match) is { } hit)
            {
                return hit;
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromTicks(Math.Max(0, (timeout - watch.Elapsed).Ticks)));
            }
            catch (TimeoutException)
            {
                var topics = string.Join(", ", seen.Select(p => $"{p.PubsubName}/{p.Topic}"));
                throw new TimeoutException($"No matching publish within {timeout}. Accepted publishes: [{topics}].");
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
