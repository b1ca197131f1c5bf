using System.Diagnostics;

namespace ModeRefresh.TestSupport;

/// <summary>Recorded calls, in arrival order, with a signal for tests that wait for them.</summary>
internal sealed class FakeModeRecorder
{
    private readonly Lock _gate = new();
    private readonly List<FakeModeCall> _calls = [];
    private TaskCompletionSource _changed = NewSignal();

    public IReadOnlyList<FakeModeCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    public void Add(FakeModeCall call)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _calls.Add(call);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    public void Clear()
    {
        lock (_gate)
        {
            _calls.Clear();
        }
    }

    /// <summary>Wall-clock timeout, whatever clock the server stamps calls with.</summary>
    public async Task WaitAsync(Func<IReadOnlyList<FakeModeCall>, bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_calls.ToArray()))
                {
                    return;
                }

                changed = _changed.Task;
            }

            var left = timeout - watch.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"The fake Mode server's calls did not reach the expected state within {timeout}.");
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
