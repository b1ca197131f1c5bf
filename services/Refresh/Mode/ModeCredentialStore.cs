using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Mode;

/// <summary>
/// Mode credentials from the Dapr secret store: read on first use (never at startup, which must not depend on
/// the sidecar), cached, and re-read after a 401 at most once per <see cref="ModeOptions.CredentialRefreshInterval"/>
/// so a rotation is picked up without hammering the secret store while the credentials are simply wrong.
/// </summary>
public sealed partial class ModeCredentialStore(
    DaprClient dapr,
    IOptions<ModeOptions> mode,
    IOptions<DaprOptions> components,
    TimeProvider time,
    ILogger<ModeCredentialStore> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ModeCredential? current;
    private DateTimeOffset? lastRenewal;

    /// <exception cref="ModeCredentialsUnavailableException">The secret store could not supply them.</exception>
    public async Task<ModeCredential> GetAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref current) is { } cached)
        {
            return cached;
        }

        await gate.WaitAsync(ct);
        try
        {
            return current ??= await LoadAsync(ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Called after Mode rejected <paramref name="rejected"/> with 401. Returns credentials worth one more try
    /// (changed since <paramref name="rejected"/>), or null when nothing changed or a re-read is not due yet.
    /// </summary>
    public async Task<ModeCredential?> RenewAfterUnauthorizedAsync(ModeCredential rejected, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            if (current is not null && !current.SameAs(rejected))
            {
                return current; // another call already picked up the rotation
            }

            var now = time.GetUtcNow();
            if (lastRenewal is { } last && now - last < mode.Value.CredentialRefreshInterval)
            {
                return null;
            }

            lastRenewal = now;
            var fresh = await LoadAsync(ct);
            current = fresh;
            var changed = !fresh.SameAs(rejected);
            LogRenewed(logger, changed);
            return changed ? fresh : null;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<ModeCredential> LoadAsync(CancellationToken ct)
    {
        var token = await ReadSecretAsync(mode.Value.TokenSecretName, ct);
        var secret = await ReadSecretAsync(mode.Value.SecretSecretName, ct);
        return new ModeCredential(token, secret);
    }

    private async Task<string> ReadSecretAsync(string name, CancellationToken ct)
    {
        var store = components.Value.SecretStore;
        Dictionary<string, string> values;
        try
        {
            values = await components.Value.WithDeadline(t => dapr.GetSecretAsync(store, name, cancellationToken: t), ct);
        }
        catch (DaprException ex)
        {
            // The message names store and secret only; Dapr's inner exception carries no secret value.
            throw new ModeCredentialsUnavailableException($"secret '{name}' could not be read from secret store '{store}'", ex);
        }

        // Stores answer a map: local.env/local.file use the secret's name as its key; a Kubernetes secret
        // holding a single key is accepted whatever that key is called.
        var value = values.TryGetValue(name, out var named) ? named
            : values.Count == 1 ? values.Values.First()
            : null;
        return string.IsNullOrEmpty(value)
            ? throw new ModeCredentialsUnavailableException($"secret '{name}' in secret store '{store}' has no value")
            : value;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information,
        Message = "Re-read Mode credentials after a 401; changed: {Changed}")]
    private static partial void LogRenewed(ILogger logger, bool changed);
}

/// <summary>The secret store could not supply Mode credentials; worth retrying later.</summary>
public sealed class ModeCredentialsUnavailableException(string message, Exception? inner = null)
    : Exception(message, inner);
