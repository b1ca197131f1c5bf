namespace ModeRefresh.Ingress.Sidecar;

/// <summary>
/// Whether the Dapr sidecar can be reached at all, as every caller of it finds out (key reads, publishes, readiness
/// probes). A sidecar that cannot be reached is logged ONE time, as an Error that says where it was looked for and how
/// to start it, and again only after it was reached in between: a missing sidecar is one clear line, not one per
/// probe or webhook. Knows nothing secret: addresses and transport errors only.
/// </summary>
public sealed class SidecarReachability(ILogger<SidecarReachability> logger)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Uri, string> _problems = [];
    private volatile bool _anyProblem;

    /// <summary>True while some address of the sidecar was last found unreachable.</summary>
    public bool IsUnreachable => _anyProblem;

    /// <summary>A call to <paramref name="address"/> got an answer (any answer: an error from the sidecar is an answer).</summary>
    public void Reached(Uri address)
    {
        // The hot path (every publish): nothing to do unless something was unreachable.
        if (!_anyProblem) return;
        bool back;
        lock (_gate)
        {
            back = _problems.Remove(address) && _problems.Count == 0;
            _anyProblem = _problems.Count > 0;
        }

        if (back) IngressLog.SidecarReachableAgain(logger, address);
    }

    /// <summary>Nothing answered at <paramref name="address"/> (<paramref name="api"/> names the setting behind it).</summary>
    public void Unreachable(Uri address, string api, string detail)
    {
        bool first;
        lock (_gate)
        {
            first = _problems.Count == 0;
            _problems[address] = $"the Dapr sidecar is not reachable at {address} ({api}: {detail}); start it with `dapr run -f .`";
            _anyProblem = true;
        }

        if (first) IngressLog.SidecarUnreachable(logger, address, api, detail);
    }

    /// <summary>Why <paramref name="address"/> was last found unreachable, or null when it was reached since (or never tried).</summary>
    public string? ProblemAt(Uri address)
    {
        if (!_anyProblem) return null;
        lock (_gate) return _problems.GetValueOrDefault(address);
    }
}
