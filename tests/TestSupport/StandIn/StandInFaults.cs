using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// What a fault does to the call it hits: answer with a status, never answer, or (with <see cref="Delay"/> or
/// <see cref="Until"/>) answer normally but only after the delay, or once the task completed.
/// </summary>
internal readonly record struct Fault(bool Hang, StatusCode Status, TimeSpan Delay = default, Task? Until = null);

/// <summary>
/// Per-method fault plan. One-shot faults (FailNext/HangNext) are used up first, in the order the test
/// queued them; the standing fault (FailAlways/HangAlways) applies after that. Thread-safe.
/// </summary>
internal sealed class StandInFaults
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<Fault>> _next = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Fault> _always = new(StringComparer.Ordinal);

    public void AddNext(string method, Fault fault, int times)
    {
        StandInMethods.EnsureKnown(method);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            if (!_next.TryGetValue(method, out var queue))
            {
                _next[method] = queue = new Queue<Fault>();
            }

            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(fault);
            }
        }
    }

    public void SetAlways(string method, Fault fault)
    {
        StandInMethods.EnsureKnown(method);
        lock (_gate)
        {
            _always[method] = fault;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _next.Clear();
            _always.Clear();
        }
    }

    /// <summary>Takes the fault for this call of <paramref name="method"/>, if any.</summary>
    public Fault? Take(string method)
    {
        lock (_gate)
        {
            if (_next.TryGetValue(method, out var queue) && queue.TryDequeue(out var fault))
            {
                return fault;
            }

            return _always.TryGetValue(method, out var standing) ? standing : null;
        }
    }
}
