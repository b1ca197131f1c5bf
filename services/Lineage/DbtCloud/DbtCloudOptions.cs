using Microsoft.Extensions.Options;

namespace ModeRefresh.Lineage.DbtCloud;

/// <summary>How to reach the dbt Cloud Admin API (configuration section <c>DbtCloud</c>).</summary>
public sealed class DbtCloudOptions
{
    public const string SectionName = "DbtCloud";

    /// <summary>
    /// The account's Access URL: <c>https://cloud.getdbt.com</c> (North America multi-tenant), <c>https://emea.dbt.com</c>,
    /// <c>https://au.dbt.com</c>, or a cell host such as <c>https://ab123.us1.dbt.com</c>.
    /// </summary>
    public string BaseUrl { get; set; } = "https://cloud.getdbt.com";

    /// <summary>Secret (in the Dapr secret store) holding the API token, sent as <c>Authorization: Token ...</c>.</summary>
    public string TokenSecretName { get; set; } = "DBT_CLOUD_API_TOKEN";

    /// <summary>One API call until its answer starts, every retry and wait included.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One HTTP attempt until its answer starts.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reading one artifact's body (the manifest can be 100+ MB).</summary>
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries after the first attempt for 408, 429, 5xx, timeouts and connection errors (0 to 10).</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>First retry delay, doubled each retry with jitter; a Retry-After header takes precedence.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest manifest.json read (decompressed bytes); a larger one is a permanent failure.</summary>
    public long MaxManifestBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest run_results.json read, per step.</summary>
    public long MaxRunResultsBytes { get; set; } = 128L * 1024 * 1024;
}

/// <summary>Checks <see cref="DbtCloudOptions"/> at start-up; each error names its setting.</summary>
internal sealed class DbtCloudOptionsValidator : IValidateOptions<DbtCloudOptions>
{
    public ValidateOptionsResult Validate(string? name, DbtCloudOptions options)
    {
        var errors = new List<string>();
        if (!IsAllowedBaseUrl(options.BaseUrl))
        {
            errors.Add("DbtCloud:BaseUrl must be an absolute https URL without query or credentials, such as https://cloud.getdbt.com, "
                + "https://emea.dbt.com or your account's Access URL (https://ab123.us1.dbt.com); http only for a loopback address");
        }

        if (string.IsNullOrWhiteSpace(options.TokenSecretName))
        {
            errors.Add("DbtCloud:TokenSecretName is required (default DBT_CLOUD_API_TOKEN)");
        }

        Range(options.RequestTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10), "DbtCloud:RequestTimeout", errors);
        Range(options.AttemptTimeout, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(10), "DbtCloud:AttemptTimeout", errors);
        Range(options.DownloadTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1), "DbtCloud:DownloadTimeout", errors);
        Range(options.RetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1), "DbtCloud:RetryBaseDelay", errors);
        if (options.AttemptTimeout >= options.RequestTimeout)
        {
            errors.Add("DbtCloud:AttemptTimeout must be shorter than DbtCloud:RequestTimeout");
        }

        if (options.MaxRetryAttempts is < 0 or > 10)
        {
            errors.Add("DbtCloud:MaxRetryAttempts must be between 0 and 10");
        }

        if (options.MaxManifestBytes < 1024)
        {
            errors.Add("DbtCloud:MaxManifestBytes must be at least 1024");
        }

        if (options.MaxRunResultsBytes < 1024)
        {
            errors.Add("DbtCloud:MaxRunResultsBytes must be at least 1024");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>https anywhere (regional and cell hosts vary by account); plain http only to loopback (tests, a local proxy).</summary>
    internal static bool IsAllowedBaseUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    private static void Range(TimeSpan value, TimeSpan min, TimeSpan max, string key, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} must be between {min} and {max}");
        }
    }
}
