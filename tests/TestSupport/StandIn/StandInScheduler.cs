using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// A stand-in for Dapr's Scheduler control-plane service: it keeps the jobs that apps schedule through their
/// sidecars and, when one is due, has a sidecar of that app id call its app (<c>POST /job/{name}</c>). Like the real
/// one it outlives sidecars: pass one instance to several <see cref="StandInSidecar"/>s (as a shared
/// <see cref="StandInBroker"/>), and a job scheduled through one sidecar is delivered through whichever sidecars of
/// that app id are connected when it is due — round robin, each trigger to one of them — and a sidecar that starts
/// later (a restart) gets the jobs that fell due while none was connected.
/// </summary>
/// <remarks>
/// Sources (dapr/dapr v1.18.0 unless named): jobs are keyed by namespace, app id and name
/// (pkg/scheduler/server/internal/serialize/serialize.go); scheduling validates the name and the times, applies the
/// default failure policy and refuses an existing name unless overwrite is set (diagridio/go-etcd-cron v0.12.4
/// internal/engine/handler/handler.go, internal/scheduler/builder.go; pkg/scheduler/server/api.go); a due job goes
/// to one connected sidecar of its app id, round robin, and waits ("staged") while none is connected or when the
/// sidecar's stream closes mid-trigger (pkg/scheduler/server/internal/pool/loops/connections/connections.go,
/// connections/store/instance.go, loops/stream/stream.go; go-etcd-cron internal/engine/queue/loops/counters/counters.go);
/// a failed trigger is retried or dropped by the failure policy (go-etcd-cron internal/counter/counter.go).
/// A sidecar connects once its app's port accepts connections (pkg/runtime/runtime.go blockUntilAppIsReady, then
/// appHealthChanged → jobsManager.StartApp) and stays connected while it runs, even if the app goes away later:
/// triggers then fail and the failure policy decides (daprd disconnects on an unhealthy app only with app health
/// checks, which the stand-in does not model). Timing runs on <see cref="Clock"/>, so a FakeTimeProvider drives it.
/// </remarks>
public sealed class StandInScheduler : IDisposable
{
    /// <summary>daprd's namespace outside Kubernetes (NAMESPACE unset); part of every job's key and of error texts.</summary>
    public const string DefaultNamespace = "default";

    private static readonly TimeSpan LongestTimer = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StandInJobTarget>> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _nextTarget = new(StringComparer.Ordinal);
    private readonly WaitableList<StandInJobTrigger> _triggers = new();
    private readonly WaitableList<int> _connections = new();
    private readonly ITimer _timer;
    private long _revision;
    private bool _disposed;

    public StandInScheduler(TimeProvider? timeProvider = null)
    {
        Clock = timeProvider ?? TimeProvider.System;
        _timer = Clock.CreateTimer(_ => FireDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The clock due times, retries and trigger records run on.</summary>
    public TimeProvider Clock { get; }

    /// <summary>The stored jobs (a copy), ordered by app id and name. A one-shot job is gone once its tick is done.</summary>
    public IReadOnlyList<StandInJob> Jobs
    {
        get
        {
            lock (_gate)
            {
                return [.. _jobs.Values.OrderBy(e => e.AppId, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal).Select(e => e.Snapshot())];
            }
        }
    }

    /// <summary>Every trigger the Scheduler sent to a sidecar, with the outcome, in the order they ended.</summary>
    public IReadOnlyList<StandInJobTrigger> Triggers => _triggers.Snapshot();

    public StandInJob? Find(string appId, string name)
    {
        lock (_gate)
        {
            return _jobs.TryGetValue(Key(appId, name), out var entry) ? entry.Snapshot() : null;
        }
    }

    /// <summary>How many sidecars of <paramref name="appId"/> are connected to receive its jobs now.</summary>
    public int ConnectedSidecars(string appId)
    {
        lock (_gate)
        {
            return _targets.TryGetValue(appId, out var list) ? list.Count : 0;
        }
    }

    /// <summary>Waits (wall clock) until the triggers so far satisfy <paramref name="condition"/>; TimeoutException otherwise.</summary>
    public Task WaitForTriggersAsync(Func<IReadOnlyList<StandInJobTrigger>, bool> condition, TimeSpan timeout) =>
        _triggers.WaitAsync(condition, timeout, "The scheduler's job triggers");

    /// <summary>Waits (wall clock) until at least <paramref name="count"/> sidecars of <paramref name="appId"/> are connected.</summary>
    public Task WaitForSidecarsAsync(string appId, int count, TimeSpan timeout) =>
        _connections.WaitAsync(_ => ConnectedSidecars(appId) >= count, timeout, $"Sidecars of '{appId}' connecting to the scheduler");

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    internal static string Key(string appId, string name) => $"app||{DefaultNamespace}||{appId}||{name}";

    /// <summary>Stores a job (daprd's checks were done by the caller); throws RpcException as the Scheduler answers.</summary>
    internal void Schedule(string appId, Job job, bool overwrite)
    {
        var key = Key(appId, job.Name);
        StandInJobNames.Validate(key, "failed to schedule job due to: ");
        var now = Clock.GetUtcNow();
        Entry entry;
        try
        {
            entry = Entry.Parse(appId, job, now);
        }
        catch (FormatException ex)
        {
            throw StandInJobNames.FromScheduler("failed to schedule job due to: ", StatusCode.Unknown, "job failed validation: " + ex.Message);
        }
        catch (NotSupportedException ex)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, ex.Message));
        }

        lock (_gate)
        {
            if (!overwrite && _jobs.ContainsKey(key))
            {
                // go-etcd-cron's JobAlreadyExists, which pkg/scheduler/server/api.go turns into AlreadyExists.
                throw StandInJobNames.FromScheduler("failed to schedule job due to: ", StatusCode.AlreadyExists, $"job already exists: '{key}'");
            }

            entry.Revision = ++_revision;
            // A new revision replaces the old job and its counter; a trigger of the old one still in flight is ignored.
            _jobs[key] = entry;
            if (!entry.TickNext())
            {
                _jobs.Remove(key);
            }
        }

        Arm();
    }

    internal Job Get(string appId, string name)
    {
        var key = Key(appId, name);
        StandInJobNames.Validate(key, "failed to get job due to: ", StatusCode.Internal);
        lock (_gate)
        {
            // daprd v1.18.0 pkg/api/errors/scheduler.go SchedulerGetJob answers every Scheduler error as Internal.
            return _jobs.TryGetValue(key, out var entry)
                ? entry.Definition(name)
                : throw StandInJobNames.FromScheduler("failed to get job due to: ", StatusCode.NotFound, $"job not found: {name}", StatusCode.Internal);
        }
    }

    /// <summary>Deleting a job that does not exist succeeds (an etcd delete of no key).</summary>
    internal void Delete(string appId, string name)
    {
        var key = Key(appId, name);
        StandInJobNames.Validate(key, "failed to delete job due to: ", StatusCode.Internal);
        lock (_gate)
        {
            _jobs.Remove(key);
        }
    }

    /// <summary>An empty prefix deletes every job of the app id.</summary>
    internal void DeleteByPrefix(string appId, string prefix)
    {
        var keyPrefix = Key(appId, prefix);
        // go-etcd-cron DeletePrefixes validates prefix + "a", so a prefix may end in a character a name could not.
        StandInJobNames.Validate(keyPrefix + "a", "failed to delete job due to: ", StatusCode.Internal);
        lock (_gate)
        {
            foreach (var key in _jobs.Keys.Where(k => k.StartsWith(keyPrefix, StringComparison.Ordinal)).ToList())
            {
                _jobs.Remove(key);
            }
        }
    }

    internal IReadOnlyList<Job> List(string appId)
    {
        lock (_gate)
        {
            return [.. _jobs.Values.Where(e => e.AppId == appId).OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e.Definition(e.Name))];
        }
    }

    /// <summary>A sidecar of <paramref name="appId"/> joins; jobs that waited for one are due again at once.</summary>
    internal IDisposable Connect(string appId, StandInJobTarget target)
    {
        lock (_gate)
        {
            if (!_targets.TryGetValue(appId, out var list))
            {
                _targets[appId] = list = [];
            }

            list.Add(target);
            foreach (var staged in _jobs.Values.Where(e => e.AppId == appId && e.State == StandInJobState.Staged))
            {
                staged.State = StandInJobState.Waiting;
            }
        }

        _connections.Add(1);
        Arm();
        return new Disconnect(() =>
        {
            lock (_gate)
            {
                if (_targets.TryGetValue(appId, out var list))
                {
                    list.Remove(target);
                    if (list.Count == 0) _targets.Remove(appId);
                }
            }

            _connections.Add(-1);
        });
    }

    // Re-arms the one timer for the earliest waiting job, under the lock so that two callers cannot leave the later
    // of their two answers in force. Due jobs fire from the thread pool, not inside a caller's lock or a
    // FakeTimeProvider.Advance, so a test's call returns before the app is called.
    private void Arm()
    {
        lock (_gate)
        {
            if (_disposed) return;
            var next = _jobs.Values.Where(e => e.State == StandInJobState.Waiting).Select(e => (DateTimeOffset?)e.NextAt).Min();
            var delay = next is { } at ? at - Clock.GetUtcNow() : Timeout.InfiniteTimeSpan;
            if (next is not null && delay <= TimeSpan.Zero)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_ => FireDue(), null);
                return;
            }

            // Bounded so a real timer never overflows; it re-arms when it fires early.
            _timer.Change(next is null || delay < LongestTimer ? delay : LongestTimer, Timeout.InfiniteTimeSpan);
        }
    }

    private void FireDue()
    {
        var dispatch = new List<(Entry Entry, long Revision, int Attempt, DateTimeOffset DueAt, StandInJobTarget Target)>();
        lock (_gate)
        {
            if (_disposed) return;
            var now = Clock.GetUtcNow();
            foreach (var entry in _jobs.Values.Where(e => e.State == StandInJobState.Waiting && e.NextAt <= now))
            {
                if (!_targets.TryGetValue(entry.AppId, out var list) || list.Count == 0)
                {
                    // UNDELIVERABLE: kept until a sidecar of the app id connects.
                    entry.State = StandInJobState.Staged;
                    continue;
                }

                var turn = _nextTarget.GetValueOrDefault(entry.AppId);
                _nextTarget[entry.AppId] = turn + 1;
                entry.State = StandInJobState.Triggering;
                dispatch.Add((entry, entry.Revision, (int)entry.Attempts + 1, entry.NextAt, list[(int)(turn % (ulong)list.Count)]));
            }
        }

        foreach (var (entry, revision, attempt, dueAt, target) in dispatch)
        {
            _ = Task.Run(async () =>
            {
                var (result, status) = await target.TriggerAsync(entry.Name, entry.Data);
                Complete(entry, revision, result);
                _triggers.Add(new StandInJobTrigger(entry.AppId, entry.Name, target.App, attempt, result, status, dueAt, Clock.GetUtcNow()));
            });
        }

        Arm();
    }

    private void Complete(Entry entry, long revision, StandInJobResult result)
    {
        lock (_gate)
        {
            // Deleted or overwritten while the trigger was out: the counter of the old revision is not written back.
            if (!_jobs.TryGetValue(entry.Key, out var current) || current.Revision != revision)
            {
                return;
            }

            var done = result switch
            {
                StandInJobResult.Undeliverable => entry.Stage(_targets.ContainsKey(entry.AppId)),
                StandInJobResult.Failed => entry.TriggerFailed(),
                _ => entry.TriggerSucceeded(),
            };
            if (done)
            {
                _jobs.Remove(entry.Key);
            }
        }

        Arm();
    }

    private sealed class Disconnect(Action undo) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) undo();
        }
    }

    /// <summary>A stored job and its counter (go-etcd-cron's stored.Job + stored.Counter). Guarded by the scheduler's lock.</summary>
    private sealed class Entry
    {
        private readonly Job _job;
        private readonly StandInJobSchedule _schedule;
        private DateTimeOffset? _lastTrigger;

        private Entry(string appId, Job job, StandInJobSchedule schedule)
        {
            AppId = appId;
            _job = job;
            _schedule = schedule;
            Key = StandInScheduler.Key(appId, job.Name);
        }

        public string AppId { get; }
        public string Key { get; }
        public string Name => _job.Name;
        public Any? Data => _job.Data;
        public long Revision { get; set; }
        public uint Count { get; private set; }
        public uint Attempts { get; private set; }
        public DateTimeOffset NextAt { get; private set; }
        public StandInJobState State { get; set; } = StandInJobState.Waiting;

        /// <summary>go-etcd-cron internal/scheduler/builder.go <c>Parse</c>, same checks in the same order.</summary>
        public static Entry Parse(string appId, Job job, DateTimeOffset now)
        {
            if (!job.HasSchedule && job.HasRepeats && job.Repeats > 1) throw new FormatException("job must have a schedule to repeat");
            if (job.HasRepeats && job.Repeats < 1) throw new FormatException("defined repeats must be greater than 0");
            if (!job.HasSchedule && job.HasTtl) throw new FormatException("job must have a schedule to have a ttl");
            TimeSpan? every = job.HasSchedule ? StandInJobSchedule.ParseEvery(job.Schedule) : null;

            var stored = job.Clone();
            // The Scheduler stores this policy when none is given (or none it knows: pkg/scheduler/server/api.go
            // schedFPToCron maps an empty oneof to nil), and GetJob answers it.
            if (stored.FailurePolicy?.PolicyCase is null or JobFailurePolicy.PolicyOneofCase.None)
            {
                stored.FailurePolicy = new JobFailurePolicy
                {
                    Constant = new JobFailurePolicyConstant { Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)), MaxRetries = 3 },
                };
            }

            DateTimeOffset? due = job.HasDueTime ? StandInJobTime.ParsePointInTime(job.DueTime, now, "due time") : null;
            DateTimeOffset? expiration = null;
            if (job.HasTtl)
            {
                try
                {
                    expiration = StandInJobTime.ParsePointInTime(job.Ttl, due ?? now, "ttl");
                }
                catch (FormatException)
                {
                    throw new FormatException("ttl format not recognized");
                }

                if (due > expiration) throw new FormatException("ttl must be greater than due time");
            }

            return new Entry(appId, stored, new StandInJobSchedule(every, due, now, job.HasRepeats ? job.Repeats : null, expiration));
        }

        public Job Definition(string name)
        {
            var copy = _job.Clone();
            copy.Name = name;
            return copy;
        }

        /// <summary>counter.go <c>tickNext</c>: false when the job has no tick left and is deleted.</summary>
        public bool TickNext()
        {
            if (_schedule.Next(Count, _lastTrigger) is not { } next || (_schedule.Expiration is { } exp && next > exp))
            {
                return false;
            }

            NextAt = next;
            State = StandInJobState.Waiting;
            return true;
        }

        /// <summary>counter.go <c>TriggerSuccess</c> (2xx, or 404 which daprd reports as success). True: deleted.</summary>
        public bool TriggerSucceeded()
        {
            _lastTrigger = _schedule.Next(Count, _lastTrigger) ?? _lastTrigger;
            Count++;
            Attempts = 0;
            return !TickNext();
        }

        /// <summary>counter.go <c>TriggerFailed</c> / <c>policyTryAgain</c>. True: deleted.</summary>
        public bool TriggerFailed()
        {
            Attempts++;
            var policy = _job.FailurePolicy;
            if (policy.PolicyCase == JobFailurePolicy.PolicyOneofCase.Constant
                && (!policy.Constant.HasMaxRetries || policy.Constant.MaxRetries >= Attempts))
            {
                // The retry is one interval after the tick's time, not after the failure.
                NextAt += policy.Constant.Interval?.ToTimeSpan() ?? TimeSpan.Zero;
                State = StandInJobState.Waiting;
                return false;
            }

            return TriggerSucceeded();
        }

        /// <summary>UNDELIVERABLE (the sidecar's stream closed mid-trigger): again at once if another sidecar is there.</summary>
        public bool Stage(bool anotherConnected)
        {
            State = anotherConnected ? StandInJobState.Waiting : StandInJobState.Staged;
            return false;
        }

        public StandInJob Snapshot() => new(AppId, Name, Definition(Name), NextAt, Count, Attempts, State);
    }
}

/// <summary>Where a stored job stands.</summary>
public enum StandInJobState
{
    /// <summary>Waiting for <see cref="StandInJob.NextAt"/>.</summary>
    Waiting,

    /// <summary>Sent to a sidecar; its app has not answered yet.</summary>
    Triggering,

    /// <summary>Due, but no sidecar of its app id is connected: delivered when one connects.</summary>
    Staged,
}

/// <summary>A stored job, as the Scheduler keeps it.</summary>
/// <param name="Definition">The job as GetJob answers it (the default failure policy filled in).</param>
/// <param name="NextAt">When it fires next (a retry's time after a failed trigger).</param>
/// <param name="Count">Ticks done (delivered, or given up by the failure policy).</param>
/// <param name="Attempts">Failed attempts of the current tick.</param>
public sealed record StandInJob(string AppId, string Name, Job Definition, DateTimeOffset NextAt, uint Count, uint Attempts, StandInJobState State);

/// <summary>How one trigger ended, as the Scheduler counts it.</summary>
public enum StandInJobResult
{
    /// <summary>The app answered 2xx.</summary>
    Success,

    /// <summary>The app answered 404: daprd reports success, so the tick is not retried.</summary>
    NotFound,

    /// <summary>Any other status, no answer, or no app channel: the failure policy decides.</summary>
    Failed,

    /// <summary>The sidecar stopped while the trigger was out: the job waits for a sidecar, its attempts unchanged.</summary>
    Undeliverable,
}

/// <summary>One trigger of a job, sent to the app behind <paramref name="App"/>.</summary>
/// <param name="App">The app channel the sidecar called; null for a sidecar without one.</param>
/// <param name="Attempt">1 for a tick's first trigger, 2 for its first retry, ...</param>
/// <param name="HttpStatus">The app's status code, or null when it did not answer.</param>
/// <param name="ScheduledAt">The time the trigger was due.</param>
/// <param name="At">When it ended (scheduler clock).</param>
public sealed record StandInJobTrigger(
    string AppId, string Name, Uri? App, int Attempt, StandInJobResult Result, int? HttpStatus, DateTimeOffset ScheduledAt, DateTimeOffset At);
