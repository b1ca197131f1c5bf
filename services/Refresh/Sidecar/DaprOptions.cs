using System.ComponentModel.DataAnnotations;

namespace ModeRefresh.Refresh.Sidecar;

/// <summary>
/// Names of the Dapr components this service talks to, and how long one sidecar call may take.
/// The sidecar's address is not here: the Dapr SDK reads DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT itself.
/// </summary>
public sealed class DaprOptions
{
    public const string SectionName = "Dapr";

    [Required(ErrorMessage = "Dapr:PubsubName is required")]
    public string PubsubName { get; set; } = "pubsub";

    [Required(ErrorMessage = "Dapr:StateStore is required")]
    public string StateStore { get; set; } = "statestore";

    [Required(ErrorMessage = "Dapr:SecretStore is required")]
    public string SecretStore { get; set; } = "secretstore";

    /// <summary>
    /// Upper bound for one sidecar call (see <see cref="SidecarCall"/>). Without it a hung sidecar would hold a
    /// delivery until daprd gives up, and the answer (RETRY) would never be written.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Dapr:CallTimeout must be between {1} and {2}")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the sidecar is probed in the background (see <see cref="SidecarMonitor"/>); also the start-up
    /// grace before a missing sidecar is reported.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "Dapr:ProbeInterval must be between {1} and {2}")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);
}
