using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Ingress.Sidecar;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Keys;

/// <summary>
/// Caches the webhook keys read from the Dapr secret store. A failed read keeps the keys already known
/// (a sidecar hiccup must not lock dbt out); a successful read replaces them (so a revoked key goes).
/// Loads are shared: concurrent requests wait for one read, never start a stampede on the sidecar.
/// </summary>
public sealed class WebhookKeyStore(
    DaprClient dapr, IOptions<IngressOptions> options, IOptions<DaprOptions> components, IOptions<SidecarEndpoints> sidecar, SidecarReachability reachability,
    TimeProvider time, ILogger<WebhookKeyStore> logger)
{
    // After a failed read with no keys at all, requests answer 503 at once for this long instead of each
    // waiting for the sidecar again.
    private static readonly TimeSpan ColdRetryBackoff = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private volatile IReadOnlyList<byte[]> keys = [];
    private Task<bool>? inFlight;
    private DateTimeOffset lastFailedLoad = DateTimeOffset.MinValue;
    private DateTimeOffset lastReloadOnFailure = DateTimeOffset.MinValue;
    private volatile string? problem = "not read yet";
    // What the last failed read logged: the same failure again (every cold retry, every refresh) is not logged again.
    private string? lastLoggedFailure;
    private bool loadedOnce;

    public IReadOnlyList<byte[]> Current => keys;

    public bool HasKeys => keys.Count > 0;

    /// <summary>Why the last read gave no key (the reason readiness reports), or null when it gave some.</summary>
    public string? Problem => problem;

    /// <summary>The cached keys; on a cold cache, waits (bounded) for a load.</summary>
    public async ValueTask<IReadOnlyList<byte[]>> GetKeysAsync(CancellationToken ct)
    {
        var current = keys;
        if (current.Count > 0) return current;
        if (time.GetUtcNow() - lastFailedLoad < ColdRetryBackoff) return current;
        await ReloadAsync().WaitAsync(ct);
        return keys;
    }

    /// <summary>
    /// After a failed verification: re-read the keys at most once per
    /// <see cref="IngressOptions.KeyReloadOnFailureInterval"/>. True when the keys changed.
    /// </summary>
    public async ValueTask<bool> ReloadAfterFailedVerificationAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (now - lastReloadOnFailure < options.Value.KeyReloadOnFailureInterval) return false;
            lastReloadOnFailure = now;
        }
        var before = keys;
        await ReloadAsync().WaitAsync(ct);
        return !ReferenceEquals(before, keys);
    }

    /// <summary>Reads the secret once (joining a read already under way). True when keys are loaded.</summary>
    public Task<bool> ReloadAsync()
    {
        lock (gate)
        {
            return inFlight ??= LoadAndClearAsync();
        }
    }

    private async Task<bool> LoadAndClearAsync()
    {
        try
        {
            return await LoadAsync();
        }
        finally
        {
            lock (gate) inFlight = null;
        }
    }

    private async Task<bool> LoadAsync()
    {
        var o = options.Value;
        var store = components.Value.SecretStore;
        var address = sidecar.Value.GrpcAddress;
        try
        {
            // Ingress:SecretTimeout, not Dapr:CallTimeout: a webhook may be waiting for this read, and dbt waits 10 s.
            var secret = await SidecarCall.WithDeadline(o.SecretTimeout, time,
                t => dapr.GetSecretAsync(store, o.WebhookKeySecretName, cancellationToken: t), CancellationToken.None);
            reachability.Reached(address);
            var loaded = KeyListParser.Parse(SecretValue(secret, o.WebhookKeySecretName));
            var changed = !SameKeys(keys, loaded);
            if (changed) keys = loaded;
            lastLoggedFailure = null;
            if (loaded.Count == 0)
            {
                lastFailedLoad = time.GetUtcNow();
                problem = $"secret {o.WebhookKeySecretName} in store {store} holds no webhook key";
            }
            else
            {
                problem = null;
            }

            // Logged when the keys change (a rotation), not at every periodic re-read or cold retry.
            if (changed || !loadedOnce) IngressLog.KeysLoaded(logger, loaded.Count, store, o.WebhookKeySecretName);
            loadedOnce = true;
            return loaded.Count > 0;
        }
        catch (Exception ex) when (ex is DaprException or OperationCanceledException or Grpc.Core.RpcException)
        {
            lastFailedLoad = time.GetUtcNow();
            // The text comes from the transport or the sidecar and never holds the secret value.
            var unreachable = SidecarFailure.Unreachable(ex);
            var reason = unreachable is not null ? "sidecar not reachable: " + unreachable : Describe(ex, o.SecretTimeout);
            if (keys.Count == 0) problem = $"reading secret {o.WebhookKeySecretName} from store {store} failed: {reason}";
            if (unreachable is not null) reachability.Unreachable(address, "DAPR_GRPC_ENDPOINT", unreachable);
            // A read that timed out says nothing about whether the sidecar is there.
            else if (ex is not (OperationCanceledException or SidecarDeadlineExceededException)) reachability.Reached(address);

            // An unreachable sidecar is said once, with its address and what to do, by the reachability tracker; any
            // other failure once per change of reason. Repeats (every cold retry, every refresh) go to Debug.
            if (unreachable is null && reason != lastLoggedFailure)
            {
                lastLoggedFailure = reason;
                IngressLog.KeysLoadFailed(logger, store, o.WebhookKeySecretName, keys.Count, reason);
            }
            else
            {
                IngressLog.KeysLoadFailedAgain(logger, store, o.WebhookKeySecretName, keys.Count, reason);
            }

            return keys.Count > 0;
        }
    }

    // The SDK's DaprException hides the cause ("See InnerException for details"): name the sidecar's answer instead.
    private static string Describe(Exception ex, TimeSpan bound) => ex switch
    {
        OperationCanceledException or SidecarDeadlineExceededException => $"no answer within {bound}",
        Grpc.Core.RpcException rpc => $"sidecar answered {rpc.StatusCode}: {rpc.Status.Detail}",
        { InnerException: Grpc.Core.RpcException rpc } => $"sidecar answered {rpc.StatusCode}: {rpc.Status.Detail}",
        { InnerException: OperationCanceledException } => $"no answer within {bound}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    // A local-file or env store answers {name: value}; a Kubernetes Secret may carry several entries.
    private static string? SecretValue(IReadOnlyDictionary<string, string> secret, string name) =>
        secret.TryGetValue(name, out var value) ? value : string.Join(',', secret.Values);

    private static bool SameKeys(IReadOnlyList<byte[]> a, IReadOnlyList<byte[]> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second));
}
