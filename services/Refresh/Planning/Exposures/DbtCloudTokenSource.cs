using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModeRefresh.Lineage.DbtCloud;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Refresh.Planning.Exposures;

/// <summary>
/// The dbt Cloud API token from the Dapr secret store (<c>DbtCloud:TokenSecretName</c> in <c>Dapr:SecretStore</c>),
/// through the same sidecar path as Mode's credentials (<see cref="Mode.ModeCredentialStore"/>). Read on every
/// delivery that asks dbt Cloud, never cached: one secret call per event is cheap, and a rotated token is then used at
/// once. Problems name the secret, never its value.
/// </summary>
public sealed class DbtCloudTokenSource(DaprClient dapr, IOptions<DbtCloudOptions> dbtCloud, IOptions<DaprOptions> components)
{
    /// <summary>The token, or null with <paramref name="problem"/> saying which secret could not be read and why.</summary>
    public async Task<(string? Token, string? Problem)> ReadAsync(CancellationToken ct)
    {
        var name = dbtCloud.Value.TokenSecretName;
        var store = components.Value.SecretStore;
        Dictionary<string, string> values;
        try
        {
            values = await components.Value.WithDeadline(t => dapr.GetSecretAsync(store, name, cancellationToken: t), ct);
        }
        catch (DaprException)
        {
            // daprd answers a secret outside the app's scope with PermissionDenied and every store error, "not found"
            // included, with Internal (dapr/dapr v1.18.0 pkg/api/universal/secrets.go, pkg/messages/predefined.go
            // ErrSecretPermissionDenied / ErrSecretGet): a missing secret cannot be told from an outage, so both are
            // worth a redelivery, after which the operator has added it; the reason says where to look.
            return (null, $"the dbt Cloud API token secret '{name}' (DbtCloud:TokenSecretName) could not be read from secret store '{store}' "
                + "(is it stored, and allowed in Refresh's secret scope?)");
        }

        // As for Mode's: local.env/local.file key by the secret's name; a Kubernetes secret with one key is taken whatever its key.
        var value = values.TryGetValue(name, out var named) ? named
            : values.Count == 1 ? values.Values.First()
            : null;
        return string.IsNullOrEmpty(value)
            ? (null, $"the dbt Cloud API token secret '{name}' (DbtCloud:TokenSecretName) in secret store '{store}' has no value")
            : (value, null);
    }
}
