using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Mode;

/// <summary>Rules data annotations cannot express: URL shape and how the time limits relate.</summary>
internal sealed class ModeOptionsValidator : IValidateOptions<ModeOptions>
{
    public ValidateOptionsResult Validate(string? name, ModeOptions options)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add("Mode:BaseUrl must be an absolute http(s) URL, e.g. https://app.mode.com");
        }

        RequirePositive(options.TotalTimeout, "Mode:TotalTimeout", errors);
        RequirePositive(options.AttemptTimeout, "Mode:AttemptTimeout", errors);
        RequirePositive(options.RetryBaseDelay, "Mode:RetryBaseDelay", errors);
        RequirePositive(options.CredentialRefreshInterval, "Mode:CredentialRefreshInterval", errors);
        if (options.RateLimitMargin < TimeSpan.Zero)
        {
            errors.Add("Mode:RateLimitMargin must not be negative");
        }

        if (options.AttemptTimeout > options.TotalTimeout)
        {
            errors.Add("Mode:AttemptTimeout must not exceed Mode:TotalTimeout");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void RequirePositive(TimeSpan value, string key, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} must be a positive duration (e.g. 00:00:05)");
        }
    }
}
