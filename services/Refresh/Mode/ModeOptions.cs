using System.ComponentModel.DataAnnotations;

namespace ModeRefresh.Refresh.Mode;

/// <summary>How to reach Mode, with which credentials, and how hard to try (configuration section <c>Mode</c>).</summary>
public sealed class ModeOptions
{
    public const string SectionName = "Mode";

    [Required(ErrorMessage = "Mode:BaseUrl is required")]
    public string BaseUrl { get; set; } = "https://app.mode.com";

    /// <summary>Secret (in <c>Dapr:SecretStore</c>) holding the API token, the Basic-auth user name.</summary>
    [Required(ErrorMessage = "Mode:TokenSecretName is required")]
    public string TokenSecretName { get; set; } = "MODE_API_TOKEN";

    /// <summary>Secret holding the API secret, the Basic-auth password.</summary>
    [Required(ErrorMessage = "Mode:SecretSecretName is required")]
    public string SecretSecretName { get; set; } = "MODE_API_SECRET";

    /// <summary>After a 401, credentials are re-read from the secret store at most this often.</summary>
    public TimeSpan CredentialRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Calls per Mode credential in any one-second window (Mode allows about 40 per 10 s).</summary>
    [Range(1, 1000, ErrorMessage = "Mode:RequestsPerSecond must be between {1} and {2}")]
    public int RequestsPerSecond { get; set; } = 4;

    /// <summary>
    /// Extra spacing added to the one-second window, so jitter between leaving here and arriving at Mode cannot
    /// squeeze one call too many into a second as Mode measures it.
    /// </summary>
    public TimeSpan RateLimitMargin { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>All attempts of one report run, waits included; keep well under daprd's delivery timeout.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>One HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Retries after the first attempt for 408, 429, 5xx, timeouts and connection failures.</summary>
    [Range(0, 10, ErrorMessage = "Mode:MaxRetryAttempts must be between {1} and {2}")]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; doubles each retry, with jitter. A Retry-After header takes precedence.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
}
