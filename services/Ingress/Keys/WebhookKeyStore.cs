using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Ingress.Keys;

/// <summary>
/// Caches the webhook keys read from the Dapr secret store. A failed read keeps the keys already known
/// (a sidecar hiccup must not lock dbt out); a successful read replaces them (so a revoked key goes).
/// Loads are shared: concurrent requests wait for one read, never start a stampede on the sidecar.
/// </summary>
public sealed class WebhookKeyStore(
    DaprClient dapr, IOptions<IngressOptions> options, TimeProvider time, ILogger<WebhookKeyStore> logger)
{
    // After a failed read with no keys at all, requests answer 503 at once for this long instead of each
    // waiting for the sidecar again.
    private static readonly TimeSpan ColdRetryBackoff = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private volatile IReadOnlyList<byte[]> keys = [];
    private Task<bool>? inFlight;
    private DateTimeOffset lastFailedLoad = DateTimeOffset.MinValue;
    private DateTimeOffset lastReloadOnFailure = DateTimeOffset.MinValue;

    public IReadOnlyList<byte[]> Current => keys;

    public bool HasKeys => keys.Count > 0;

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
        try
        {
            using var timeout = new CancellationTokenSource(o.SecretTimeout, time);
            var secret = await dapr.GetSecretAsync(o.SecretStoreName, o.WebhookKeySecretName, cancellationToken: timeout.Token);
            var loaded = KeyListParser.Parse(SecretValue(secret, o.WebhookKeySecretName));
            if (!SameKeys(keys, loaded)) keys = loaded;
            if (loaded.Count == 0) lastFailedLoad = time.GetUtcNow();
            IngressLog.KeysLoaded(logger, loaded.Count, o.SecretStoreName, o.WebhookKeySecretName);
            return loaded.Count > 0;
        }
        catch (Exception ex) when (ex is DaprException or OperationCanceledException or Grpc.Core.RpcException)
        {
            lastFailedLoad = time.GetUtcNow();
            // The exception text comes from the sidecar and never holds the secret value.
            IngressLog.KeysLoadFailed(logger, o.SecretStoreName, o.WebhookKeySecretName, keys.Count, ex.GetType().Name, ex.Message);
            return keys.Count > 0;
        }
    }

    // A local-file or env store answers {name: value}; a Kubernetes Secret may carry several entries.
    private static string? SecretValue(IReadOnlyDictionary<string, string> secret, string name) =>
        secret.TryGetValue(name, out var value) ? value : string.Join(',', secret.Values);

    private static bool SameKeys(IReadOnlyList<byte[]> a, IReadOnlyList<byte[]> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second));
}
