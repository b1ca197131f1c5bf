using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ModeRefresh.Refresh.Auth;

public sealed class AppApiTokenOptions : AuthenticationSchemeOptions
{
    public string? Token { get; set; }
}

/// <summary>
/// Checks daprd's <c>dapr-api-token</c> header against APP_API_TOKEN in constant time. Dapr.AspNetCore's own
/// handler compares with string equality, which leaks how much of a guess was right through timing.
/// </summary>
public sealed class AppApiTokenHandler(
    IOptionsMonitor<AppApiTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder, AppApiTokenNotices notices)
    : AuthenticationHandler<AppApiTokenOptions>(options, logger, encoder)
{
    public const string SchemeName = "DaprAppApiToken";
    public const string HeaderName = "dapr-api-token";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Endpoints without the policy (/healthz, /readyz) need no answer; a failure there would be logged by the
        // base class once per probe.
        if (Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>() is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var headers = Request.Headers.TryGetValue(HeaderName, out var values) ? values : default;
        if (string.IsNullOrEmpty(Options.Token))
        {
            if (headers.Count > 0)
            {
                notices.TokenSentButNotRequired(Request.Path);
            }

            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (headers.Count != 1)
        {
            return Task.FromResult(AuthenticateResult.Fail(headers.Count == 0 ? "missing dapr-api-token" : "more than one dapr-api-token"));
        }

        var expected = Encoding.UTF8.GetBytes(Options.Token);
        var actual = Encoding.UTF8.GetBytes(headers.ToString());
        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
            return Task.FromResult(AuthenticateResult.Fail("invalid dapr-api-token"));

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "daprd")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>
    /// The 401, and for <c>/dapr/subscribe</c> an error saying what it costs: daprd reads the subscriptions once
    /// at its start and never again after a refusal.
    /// </summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await base.HandleChallengeAsync(properties);
        if (Request.Path.Equals(AppApiTokenNotices.SubscribePath, StringComparison.OrdinalIgnoreCase))
        {
            notices.SubscribeRefused(Request.Headers.ContainsKey(HeaderName));
        }
    }
}
