using System.ComponentModel.DataAnnotations;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress;

/// <summary>
/// Settings of the Ingress service, section <c>Ingress</c> (env: <c>Ingress__WebhookKeySecretName</c>, ...). The Dapr
/// component names are the <c>Dapr</c> section both services share (<see cref="DaprOptions"/>): <c>Dapr:PubsubName</c>
/// is where the events go, <c>Dapr:SecretStore</c> holds the webhook key(s).
/// </summary>
public sealed class IngressOptions
{
    public const string SectionName = "Ingress";

    /// <summary>Secret holding the dbt webhook key; several keys may be separated by commas, semicolons or white space.</summary>
    [Required] public string WebhookKeySecretName { get; set; } = "DBT_WEBHOOK_KEY";

    [Required] public string CompletedTopic { get; set; } = Contracts.Topics.DbtRunCompleted;
    [Required] public string StartedTopic { get; set; } = Contracts.Topics.DbtRunStarted;
    [Required] public string ErroredTopic { get; set; } = Contracts.Topics.DbtRunErrored;

    /// <summary>Largest accepted body; a larger one is refused with 413 before it is read.</summary>
    [Range(1024, 16 * 1024 * 1024)] public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How often keys are re-read from the secret store, so a rotated key works without a restart.</summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After a failed verification the keys are re-read at most this often (a new key is picked up at once).</summary>
    [TimeSpanRange("00:00:00", "01:00:00")]
    public TimeSpan KeyReloadOnFailureInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bound on one secret-store read; dbt waits only 10 s for the whole request, so this is tighter than the
    /// Dapr:CallTimeout that bounds Refresh's sidecar calls.
    /// </summary>
    [TimeSpanRange("00:00:00.050", "00:00:05")]
    public TimeSpan SecretTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound on the publish; past it dbt gets 503 and retries.</summary>
    [TimeSpanRange("00:00:00.050", "00:00:07")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most events in one bulk publish: webhooks that arrive while the sidecar is busy wait for the next batch.</summary>
    [Range(1, 1000)] public int PublishBatchSize { get; set; } = 100;

    /// <summary>Bulk publishes in flight at once. One webhook alone is published at once whenever one of these is free.</summary>
    [Range(1, 64)] public int PublishConcurrency { get; set; } = 2;

    /// <summary>Rejected requests are logged at Warning at most once per interval, with their count.</summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")]
    public TimeSpan RejectionLogInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The topic for a dbt event type, or null for types that are not published.</summary>
    public string? TopicFor(string eventType) => eventType switch
    {
        Contracts.DbtEventTypes.RunCompleted => CompletedTopic,
        Contracts.DbtEventTypes.RunStarted => StartedTopic,
        Contracts.DbtEventTypes.RunErrored => ErroredTopic,
        _ => null,
    };
}

/// <summary>Source-generated validation of <see cref="IngressOptions"/>' data annotations: no reflection, trim/AOT safe.</summary>
[Microsoft.Extensions.Options.OptionsValidator]
internal sealed partial class IngressOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<IngressOptions>;

/// <summary>
/// <see cref="IngressOptionsValidator"/>'s checks, with failures that name the configuration key a user sets
/// (<c>Ingress:MaxBodyBytes must be between …</c>) rather than the C# property (<c>IngressOptions.MaxBodyBytes</c>).
/// </summary>
internal sealed class IngressOptionsKeyValidator : Microsoft.Extensions.Options.IValidateOptions<IngressOptions>
{
    private readonly IngressOptionsValidator _generated = new();

    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, IngressOptions options) =>
        ServiceDefaults.OptionsKeyNames.Rewrite(_generated.Validate(name, options), nameof(IngressOptions), IngressOptions.SectionName);
}
