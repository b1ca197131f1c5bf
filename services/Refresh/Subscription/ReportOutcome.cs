using ModeRefresh.Refresh.Routing;

namespace ModeRefresh.Refresh.Subscription;

public enum OutcomeKind
{
    /// <summary>Run accepted by Mode now or on an earlier delivery.</summary>
    Done,

    /// <summary>Cannot succeed as configured: counts toward DROP.</summary>
    Permanent,

    /// <summary>May succeed on redelivery: makes the event RETRY.</summary>
    Transient,
}

public sealed record ReportOutcome(ReportTarget Target, OutcomeKind Kind, string Detail)
{
    /// <summary>Any transient → RETRY; otherwise any permanent → DROP; otherwise SUCCESS.</summary>
    public static TopicAnswer Combine(IReadOnlyCollection<ReportOutcome> outcomes) =>
        outcomes.Any(o => o.Kind == OutcomeKind.Transient) ? TopicAnswer.Retry
        : outcomes.Any(o => o.Kind == OutcomeKind.Permanent) ? TopicAnswer.Drop
        : TopicAnswer.Success;

    /// <summary>One line for logs and the dead-letter record, e.g. "acme/abc123: Mode answered 401: ...".</summary>
    public static string Describe(IEnumerable<ReportOutcome> outcomes) =>
        string.Join("; ", outcomes.Where(o => o.Kind != OutcomeKind.Done).Select(o => $"{o.Target}: {o.Detail}"));
}
