using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// Settings both services share about Dapr, section <c>Dapr</c> (env: <c>Dapr__PubsubName</c>, ...): the names of
/// the components they talk to, and how long one sidecar call may take. The sidecar's address is not here: it comes
/// from DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT, as Dapr's SDK reads it (see <see cref="SidecarEndpoints"/>).
/// </summary>
public sealed class DaprOptions
{
    public const string SectionName = "Dapr";

    /// <summary>The pub/sub component: Ingress publishes dbt's events to it, Refresh subscribes and publishes on it.</summary>
    [Required] public string PubsubName { get; set; } = "pubsub";

    /// <summary>The secret store: Ingress's webhook key(s), Refresh's Mode and dbt Cloud credentials.</summary>
    [Required] public string SecretStore { get; set; } = "secretstore";

    /// <summary>The state store (Refresh's run ledger, dead letters, coalescing); Ingress keeps no state and ignores it.</summary>
    [Required] public string StateStore { get; set; } = "statestore";

    /// <summary>
    /// Upper bound for one sidecar call (see <see cref="SidecarCall"/>). Without it a hung sidecar would hold a
    /// delivery until daprd gives up, and the answer (RETRY) would never be written. Ingress bounds its calls with
    /// its own, narrower settings instead (dbt waits 10 s in all): Ingress:SecretTimeout and Ingress:PublishTimeout.
    /// </summary>
    [TimeSpanRange("00:00:00.100", "00:05:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the sidecar is probed in the background (Refresh's SidecarMonitor); also the start-up grace before
    /// a missing sidecar is reported.
    /// </summary>
    [TimeSpanRange("00:00:00.050", "00:10:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Source-generated validation of <see cref="DaprOptions"/>' data annotations: no reflection, trim/AOT safe.</summary>
[OptionsValidator]
internal sealed partial class DaprOptionsValidator : IValidateOptions<DaprOptions>;

/// <summary><see cref="DaprOptionsValidator"/>'s checks, failures naming the key (<c>Dapr:CallTimeout must be …</c>).</summary>
internal sealed class DaprOptionsKeyValidator : IValidateOptions<DaprOptions>
{
    private readonly DaprOptionsValidator _generated = new();

    public ValidateOptionsResult Validate(string? name, DaprOptions options) =>
        OptionsKeyNames.Rewrite(_generated.Validate(name, options), nameof(DaprOptions), DaprOptions.SectionName);
}
