using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>
/// One request the fake Mode server received, recorded when its answer was decided.
/// </summary>
/// <param name="At">Arrival time (from the server's clock).</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path as received (still URL-encoded).</param>
/// <param name="Workspace">The <c>{workspace}</c> path segment, when the path had the report-runs shape.</param>
/// <param name="Report">The <c>{report}</c> path segment, when the path had the report-runs shape.</param>
/// <param name="AuthOk">Whether HTTP Basic credentials equal to the configured token and secret were sent.</param>
/// <param name="Authorization">The raw Authorization header (test credentials only), or null.</param>
/// <param name="Accept">The raw Accept header, or null.</param>
/// <param name="ContentType">The raw Content-Type header, or null.</param>
/// <param name="Body">The request body as text.</param>
/// <param name="Parameters">The body's <c>parameters</c> object, when the body was JSON with one.</param>
/// <param name="StatusCode">The status answered, or <see cref="NoAnswer"/> for a call left hanging.</param>
/// <param name="RunToken">The Report Run token handed out with a 202, or the one a status poll asked about, else null.</param>
/// <param name="State">The run state answered (202 or a poll's 200), else null.</param>
/// <param name="TraceParent">The W3C <c>traceparent</c> header the call carried, else null.</param>
public sealed record FakeModeCall(
    DateTimeOffset At,
    string Method,
    string Path,
    string? Workspace,
    string? Report,
    bool AuthOk,
    string? Authorization,
    string? Accept,
    string? ContentType,
    string Body,
    JsonObject? Parameters,
    int StatusCode,
    string? RunToken,
    string? State = null,
    string? TraceParent = null)
{
    /// <summary><see cref="StatusCode"/> of a call that was made to hang and never answered.</summary>
    public const int NoAnswer = 0;

    /// <summary>True when Mode accepted the call and started a report run.</summary>
    public bool Accepted => StatusCode == 202;

    /// <summary>True for a status poll: <c>GET /api/{workspace}/reports/{report}/runs/{run}</c>, whatever the answer.</summary>
    public bool IsPoll => string.Equals(Method, "GET", StringComparison.OrdinalIgnoreCase) && RunToken is not null;
}

/// <summary>
/// A scripted answer for <see cref="FakeModeServer.Enqueue"/> and <see cref="FakeModeServer.StartOutage"/>.
/// Use the factory members; <see cref="Normal"/> means "check the request and answer as Mode would".
/// </summary>
/// <param name="StatusCode">Status to answer (ignored for <see cref="Hang"/> and <see cref="Normal"/>).</param>
/// <param name="RetryAfter">Sent as a Retry-After header in whole seconds, when set.</param>
/// <param name="Hangs">Never answers; the call waits until the client gives up or the server stops.</param>
/// <param name="Message">Mode's error <c>message</c> field.</param>
/// <param name="Delay">Waits this long before answering (the call is recorded on arrival).</param>
public sealed record FakeModeResponse(
    int StatusCode, TimeSpan? RetryAfter = null, bool Hangs = false, string? Message = null, TimeSpan? Delay = null)
{
    /// <summary>Not a fault: the request is checked and answered as Mode would (202, 400, 401 or 404).</summary>
    public static FakeModeResponse Normal { get; } = new(202);

    public static FakeModeResponse Hang { get; } = new(FakeModeCall.NoAnswer, Hangs: true);

    /// <summary>Answers normally, but only after <paramref name="delay"/>: keeps a run in flight for a while.</summary>
    public static FakeModeResponse Slow(TimeSpan delay) => new(202, Delay: delay);

    public static FakeModeResponse Status(int statusCode, string? message = null) => new(statusCode, Message: message);

    /// <summary>429, with a Retry-After header only when <paramref name="retryAfter"/> is given (Mode documents none).</summary>
    public static FakeModeResponse TooManyRequests(TimeSpan? retryAfter = null) =>
        new(429, retryAfter, Message: "Rate limit exceeded");

    public static FakeModeResponse ServerError { get; } = new(500, Message: "Internal server error");
    public static FakeModeResponse Unavailable { get; } = new(503, Message: "Service unavailable");

    internal bool IsNormal => !Hangs && StatusCode == 202 && RetryAfter is null && Message is null;
}
