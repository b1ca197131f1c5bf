using System.Globalization;
using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>
/// How a started report run moves through Mode's states (../shared/mode-api/README.md: pending, enqueued,
/// running_notebook while it runs; succeeded, completed, failed, cancelled once finished). Either one step per status
/// poll (<see cref="PerPoll"/>) or by the time since the run started on the server's clock (<see cref="OverTime"/>).
/// Nothing follows a finished state; a script may end unfinished (a run Mode never finishes, for time-outs).
/// </summary>
public sealed record FakeModeRunScript
{
    /// <summary>Mode's report run states.</summary>
    public static readonly IReadOnlySet<string> States = new HashSet<string>(StringComparer.Ordinal)
    {
        "pending", "enqueued", "running_notebook", "succeeded", "completed", "failed", "cancelled",
    };

    /// <summary>The states that end a run.</summary>
    public static readonly IReadOnlySet<string> FinishedStates = new HashSet<string>(StringComparer.Ordinal)
    {
        "succeeded", "completed", "failed", "cancelled",
    };

    private FakeModeRunScript(IReadOnlyList<(TimeSpan? After, string State)> steps) => Steps = steps;

    /// <summary>Without a script set: enqueued when started, running_notebook at the first poll, succeeded at the second.</summary>
    public static FakeModeRunScript Default { get; } = PerPoll("enqueued", "running_notebook", "succeeded");

    /// <summary>Each step's state, and for <see cref="OverTime"/> how long after the start it begins.</summary>
    public IReadOnlyList<(TimeSpan? After, string State)> Steps { get; }

    /// <summary>True for <see cref="PerPoll"/>: the state moves when polled, not with time.</summary>
    public bool ByPoll => Steps[0].After is null;

    /// <summary>False: answers carry no <c>_links.web_external_url</c> (Mode gives it "when present").</summary>
    public bool WebLink { get; init; } = true;

    /// <summary>
    /// The run answers <paramref name="states"/>[0] when started (the 202) and moves one step per answered poll:
    /// the n-th poll answers <paramref name="states"/>[n], the last one staying.
    /// </summary>
    public static FakeModeRunScript PerPoll(params string[] states) =>
        new(Checked([.. states.Select(s => ((TimeSpan?)null, s))]));

    /// <summary>Per poll: enqueued, running_notebook, then <paramref name="finalState"/> (e.g. "failed").</summary>
    public static FakeModeRunScript EndingIn(string finalState) => PerPoll("enqueued", "running_notebook", finalState);

    /// <summary>
    /// The run is in the state of the last step whose offset has passed since it started (server clock); the first
    /// step's offset must be zero and the offsets must grow.
    /// </summary>
    public static FakeModeRunScript OverTime(params (TimeSpan After, string State)[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Length > 0 && steps[0].After != TimeSpan.Zero) throw new ArgumentException("The first step must start at zero.", nameof(steps));
        for (var i = 1; i < steps.Length; i++)
        {
            if (steps[i].After <= steps[i - 1].After) throw new ArgumentException("Step offsets must grow.", nameof(steps));
        }

        return new(Checked([.. steps.Select(s => ((TimeSpan?)s.After, s.State))]));
    }

    private static List<(TimeSpan? After, string State)> Checked(List<(TimeSpan? After, string State)> steps)
    {
        if (steps.Count == 0) throw new ArgumentException("A run script needs at least one state.", nameof(steps));
        for (var i = 0; i < steps.Count; i++)
        {
            if (!States.Contains(steps[i].State))
            {
                throw new ArgumentException($"'{steps[i].State}' is not a Mode run state ({string.Join(", ", States)}).", nameof(steps));
            }

            if (i < steps.Count - 1 && FinishedStates.Contains(steps[i].State))
            {
                throw new ArgumentException($"'{steps[i].State}' finishes the run: no step can follow it.", nameof(steps));
            }
        }

        return steps;
    }
}

/// <summary>A report run the fake Mode server started, as it stands.</summary>
/// <param name="Polls">Status polls answered 200 so far.</param>
/// <param name="State">Its state now (for a per-poll script: as the last poll answered).</param>
/// <param name="CompletedAt">When it reached a finished state, else null.</param>
public sealed record FakeModeRun(
    string Token, string Workspace, string Report, DateTimeOffset StartedAt, int Polls, string State, DateTimeOffset? CompletedAt)
{
    public bool Finished => FakeModeRunScript.FinishedStates.Contains(State);
}

/// <summary>The runs started so far and the scripts they follow. Thread-safe.</summary>
internal sealed class FakeModeRuns
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Run> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeModeRunScript> _standing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<FakeModeRunScript>> _queued = new(StringComparer.Ordinal);
    private readonly Queue<FakeModeRunScript> _queuedAny = new();
    private FakeModeRunScript _default = FakeModeRunScript.Default;

    public void Set(FakeModeRunScript script, string? report)
    {
        ArgumentNullException.ThrowIfNull(script);
        lock (_gate)
        {
            if (report is null) _default = script;
            else _standing[report] = script;
        }
    }

    public void Enqueue(FakeModeRunScript script, string? report, int times)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            var queue = report is null ? _queuedAny : _queued.TryGetValue(report, out var q) ? q : _queued[report] = new();
            for (var i = 0; i < times; i++) queue.Enqueue(script);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _runs.Clear();
            _standing.Clear();
            _queued.Clear();
            _queuedAny.Clear();
            _default = FakeModeRunScript.Default;
        }
    }

    /// <summary>Records a run Mode accepted, under the script next in line for its report; returns its first state.</summary>
    public string Start(string token, string workspace, string report, JsonObject parameters, DateTimeOffset at)
    {
        lock (_gate)
        {
            var script = _queued.TryGetValue(report, out var own) && own.TryDequeue(out var next) ? next
                : _queuedAny.TryDequeue(out var any) ? any
                : _standing.GetValueOrDefault(report) ?? _default;
            var run = new Run(token, workspace, report, (JsonObject)parameters.DeepClone(), at, script);
            _runs[token] = run;
            return run.StateAt(at);
        }
    }

    public IReadOnlyList<FakeModeRun> Snapshot(DateTimeOffset now)
    {
        lock (_gate)
        {
            return [.. _runs.Values.OrderBy(r => r.StartedAt).Select(r => r.Snapshot(now))];
        }
    }

    /// <summary>Answers a status poll for a run of that workspace and report; null when there is none.</summary>
    public JsonObject? Poll(string workspace, string report, string token, DateTimeOffset now, string baseUrl)
    {
        lock (_gate)
        {
            if (!_runs.TryGetValue(token, out var run) || run.Workspace != workspace || run.Report != report) return null;
            run.Polled(now);
            return run.Body(now, baseUrl);
        }
    }

    private sealed class Run(string token, string workspace, string report, JsonObject parameters, DateTimeOffset startedAt, FakeModeRunScript script)
    {
        private int _step;
        private DateTimeOffset? _stepAt;
        private DateTimeOffset? _completedAt;

        public string Workspace => workspace;
        public string Report => report;
        public DateTimeOffset StartedAt => startedAt;
        public int Polls { get; private set; }

        public void Polled(DateTimeOffset now)
        {
            Polls++;
            if (script.ByPoll && _step < script.Steps.Count - 1)
            {
                _step++;
                _stepAt = now;
                if (FakeModeRunScript.FinishedStates.Contains(script.Steps[_step].State)) _completedAt = now;
            }
        }

        public string StateAt(DateTimeOffset now) => script.Steps[StepAt(now)].State;

        public FakeModeRun Snapshot(DateTimeOffset now) => new(token, workspace, report, startedAt, Polls, StateAt(now), CompletedAt(now));

        public JsonObject Body(DateTimeOffset now, string baseUrl)
        {
            var step = StepAt(now);
            var state = script.Steps[step].State;
            var updatedAt = script.ByPoll ? _stepAt ?? startedAt : startedAt + script.Steps[step].After!.Value;
            var reportPath = $"/api/{workspace}/reports/{report}";
            var links = new JsonObject
            {
                ["self"] = Link($"{reportPath}/runs/{token}"),
                ["report"] = Link(reportPath),
                ["query_runs"] = Link($"{reportPath}/runs/{token}/query_runs"),
                ["content"] = Link($"{reportPath}/runs/{token}/content"),
            };
            if (script.WebLink)
            {
                // A person's page for the run, as app.mode.com/{workspace}/reports/{report}/runs/{run} is at Mode.
                links["web_external_url"] = Link($"{baseUrl}/{workspace}/reports/{report}/runs/{token}");
            }

            var succeeded = state is "succeeded" or "completed";
            return new JsonObject
            {
                ["token"] = token,
                ["state"] = state,
                ["parameters"] = parameters.DeepClone(),
                ["created_at"] = Stamp(startedAt),
                ["updated_at"] = Stamp(updatedAt),
                ["completed_at"] = CompletedAt(now) is { } done ? Stamp(done) : null,
                ["purge_started_at"] = null,
                ["purge_completed_at"] = null,
                ["python_state"] = "none",
                ["form_fields"] = new JsonArray(),
                ["is_latest_report_run"] = true,
                ["is_latest_successful_report_run"] = succeeded,
                ["report_has_failures_since_last_success"] = state == "failed",
                ["_links"] = links,
            };
        }

        private int StepAt(DateTimeOffset now)
        {
            if (script.ByPoll) return _step;
            var elapsed = now - startedAt;
            var step = 0;
            while (step + 1 < script.Steps.Count && script.Steps[step + 1].After <= elapsed) step++;
            return step;
        }

        private DateTimeOffset? CompletedAt(DateTimeOffset now)
        {
            if (script.ByPoll) return _completedAt;
            var step = StepAt(now);
            return FakeModeRunScript.FinishedStates.Contains(script.Steps[step].State) ? startedAt + script.Steps[step].After!.Value : null;
        }

        private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

        private static JsonObject Link(string href) => new() { ["href"] = href };
    }
}

/// <summary>
/// Mode's per-user rate limit (about 40 requests per 10 s per API user, ../shared/mode-api/README.md): a sliding
/// window per credential over the requests it admitted, starting runs and polling them alike. Thread-safe.
/// </summary>
internal sealed class FakeModeRateLimit(int requests, TimeSpan window)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _admitted = new(StringComparer.Ordinal);

    public int Requests => requests;
    public TimeSpan Window => window;

    public bool TryAdmit(string credential, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_admitted.TryGetValue(credential, out var times)) _admitted[credential] = times = new();
            while (times.TryPeek(out var oldest) && oldest <= now - window) times.Dequeue();
            if (times.Count >= requests) return false;
            times.Enqueue(now);
            return true;
        }
    }
}
