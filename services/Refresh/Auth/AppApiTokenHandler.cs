using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
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
    IOptionsMonitor<AppApiTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AppApiTokenOptions>(options, logger, encoder)
{
    public const string SchemeName = "DaprAppApiToken";
    public const string HeaderName = "dapr-api-token";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (string.IsNullOrEmpty(Options.Token)) return Task.FromResult(AuthenticateResult.NoResult());
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || values.Count != 1)
            return Task.FromResult(AuthenticateResult.Fail("missing dapr-api-token"));

        var expected = Encoding.UTF8.GetBytes(Options.Token);
        var actual = Encoding.UTF8.GetBytes(values.ToString());
        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
            return Task.FromResult(AuthenticateResult.Fail("invalid dapr-api-token"));

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "daprd")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
