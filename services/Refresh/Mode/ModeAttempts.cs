namespace ModeRefresh.Refresh.Mode;

/// <summary>
/// What happened to one report run inside the "mode" resilience pipeline, carried on the request: how many
/// attempts got past the client-side rate limiter, and whether the pipeline was waiting for it when time ran out.
/// Lets a timeout say whether Mode was called at all.
/// </summary>
internal sealed class ModeAttempts
{
    public static readonly HttpRequestOptionsKey<ModeAttempts> Key = new("ModeRefresh.ModeAttempts");

    private int sent;
    private int waiting;

    /// <summary>Attempts the rate limiter let through (each reached Mode, or tried to).</summary>
    public int Sent => Volatile.Read(ref sent);

    /// <summary>True while an attempt waits for its turn at the rate limiter.</summary>
    public bool WaitingForLimiter => Volatile.Read(ref waiting) == 1;

    public void Waiting() => Volatile.Write(ref waiting, 1);

    public void Let()
    {
        Volatile.Write(ref waiting, 0);
        Interlocked.Increment(ref sent);
    }

    public static ModeAttempts? Of(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(Key, out var attempts) ? attempts : null;
}
