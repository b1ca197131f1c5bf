namespace ModeRefresh.TestSupport;

/// <summary>Which kind of Admin API call a request was, by its path.</summary>
public enum FakeDbtCloudTarget
{
    /// <summary>A path the fake does not serve.</summary>
    Unknown,

    /// <summary><c>GET /api/v2/accounts/{account}/runs/{run}/</c> (Retrieve Run).</summary>
    Run,

    /// <summary><c>.../runs/{run}/artifacts/run_results.json</c>.</summary>
    RunResults,

    /// <summary><c>.../runs/{run}/artifacts/manifest.json</c>.</summary>
    Manifest,

    /// <summary>Another artifact path (catalog.json, sources.json, ...): served when a step has it, 404 otherwise.</summary>
    OtherArtifact,
}

/// <summary>One request the fake dbt Cloud received, recorded when its answer was decided.</summary>
/// <param name="Path">Path as received (still URL-encoded).</param>
/// <param name="Query">Query string as received, with its '?', or "".</param>
/// <param name="Step">The <c>step</c> query value of an artifact request, when present.</param>
/// <param name="Authorization">The raw Authorization header (test tokens only), or null.</param>
/// <param name="AuthScheme"><c>Token</c> or <c>Bearer</c> as sent, or null.</param>
/// <param name="AuthOk">Whether the header carried the configured token under either scheme.</param>
/// <param name="StatusCode">The status answered, or <see cref="NoAnswer"/> for a request left hanging.</param>
public sealed record FakeDbtCloudCall(
    DateTimeOffset At,
    string Method,
    string Path,
    string Query,
    FakeDbtCloudTarget Target,
    long? AccountId,
    long? RunId,
    int? Step,
    string? Authorization,
    string? AuthScheme,
    bool AuthOk,
    int StatusCode)
{
    public const int NoAnswer = 0;
}

/// <summary>
/// A scripted answer for <see cref="FakeDbtCloudServer.Enqueue"/>. <see cref="Normal"/> means "check the request and
/// answer as dbt Cloud would"; errors carry dbt Cloud's envelope
/// <c>{"data": null, "status": {"code", "is_success": false, "user_message", "developer_message"}}</c>.
/// </summary>
/// <param name="StatusCode">Status to answer (ignored for <see cref="Hang"/> and the normal answers).</param>
/// <param name="RetryAfter">Sent as a Retry-After header in whole seconds, when set.</param>
/// <param name="Hangs">Never answers; the request waits until the client gives up or the server stops.</param>
/// <param name="Delay">Waits this long, then answers normally.</param>
/// <param name="BodyDelay">Answers normally, but stalls this long after the first bytes of the body.</param>
/// <param name="Message">The envelope's <c>user_message</c>.</param>
public sealed record FakeDbtCloudResponse(
    int StatusCode, TimeSpan? RetryAfter = null, bool Hangs = false, TimeSpan? Delay = null, TimeSpan? BodyDelay = null, string? Message = null)
{
    public static FakeDbtCloudResponse Normal { get; } = new(200);

    public static FakeDbtCloudResponse Hang { get; } = new(FakeDbtCloudCall.NoAnswer, Hangs: true);

    /// <summary>Answers normally after <paramref name="delay"/>.</summary>
    public static FakeDbtCloudResponse Slow(TimeSpan delay) => new(200, Delay: delay);

    /// <summary>Sends the headers and the first bytes at once, the rest after <paramref name="delay"/>.</summary>
    public static FakeDbtCloudResponse SlowBody(TimeSpan delay) => new(200, BodyDelay: delay);

    public static FakeDbtCloudResponse Status(int statusCode, string? message = null) => new(statusCode, Message: message);

    public static FakeDbtCloudResponse TooManyRequests(TimeSpan? retryAfter = null) =>
        new(429, retryAfter, Message: "Too many requests. Please slow down.");

    public static FakeDbtCloudResponse ServerError { get; } = new(500, Message: "Internal server error");

    public static FakeDbtCloudResponse Unavailable { get; } = new(503, Message: "Service unavailable");

    internal bool AnswersNormally => !Hangs && StatusCode == 200 && RetryAfter is null && Message is null;
}
