using System.Diagnostics;

namespace ModeRefresh.TestSupport;

/// <summary>
/// A thread-safe list in arrival order that tests can wait on: broker messages, deliveries, fake Mode calls.
/// </summary>
internal sealed class WaitableList<T>
{
    private readonly Lock _gate = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = NewSignal();

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return _items.ToArray();
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _items.Add(item);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
        }
    }

    /// <summary>Waits (wall clock) until <paramref name="condition"/> holds for the items so far.</summary>
    public async Task WaitAsync(Func<IReadOnlyList<T>, bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            T[] seen;
            lock (_gate)
            {
                changed = _changed.Task;
                seen = [.. _items];
            }

            // The condition is test code: run it outside the lock.
            if (condition(seen))
            {
                return;
            }

            var left = timeout - watch.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"{what} did not reach the expected state within {timeout} ({seen.Length} so far).");
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
