using Microsoft.AspNetCore.Authorization;

namespace ModeRefresh.Refresh.Auth;

/// <summary>
/// Dapr's app API token: when APP_API_TOKEN is set, daprd sends it as the <c>dapr-api-token</c> header on every
/// call to this app, and every endpoint except health must see it (compared in constant time by <see cref="AppApiTokenHandler"/>).
/// </summary>
public static class AppApiTokenExtensions
{
    /// <summary>The policy every non-health endpoint requires (see <see cref="RequireAppApiToken{T}"/>).</summary>
    public const string PolicyName = "AppApiToken";

    public const string TokenKey = "APP_API_TOKEN";

    public static WebApplicationBuilder AddAppApiTokenAuth(this WebApplicationBuilder builder)
    {
        // Read through IConfiguration (environment included) rather than the SDK's own environment lookup, so a
        // mounted config file or a test host can set it too. Decided once: the token does not change while running.
        var token = builder.Configuration[TokenKey];
        var required = !string.IsNullOrWhiteSpace(token);

        // The policy below names the scheme; ASP.NET Core also makes a sole scheme the default, which runs it for
        // every request (health probes included): the handler answers those without looking (see there).
        builder.Services.AddAuthentication()
            .AddScheme<AppApiTokenOptions, AppApiTokenHandler>(AppApiTokenHandler.SchemeName, options => options.Token = token);
        builder.Services.AddSingleton<AppApiTokenNotices>();
        builder.Services.AddAuthorization(options =>
        {
            if (required)
            {
                options.AddPolicy(PolicyName, policy => policy
                    .AddAuthenticationSchemes(AppApiTokenHandler.SchemeName)
                    .RequireAuthenticatedUser());
            }
            else
            {
                // Same policy name either way, so endpoint mapping does not depend on the deployment. The scheme
                // still runs (and lets everything through) so it can notice a daprd that sends a token we lack.
                options.AddPolicy(PolicyName, policy => policy
                    .AddAuthenticationSchemes(AppApiTokenHandler.SchemeName)
                    .RequireAssertion(_ => true));
            }
        });
        builder.Services.AddHostedService(services => new AuthModeNotice(
            required, services.GetRequiredService<ILogger<AuthModeNotice>>()));
        return builder;
    }

    public static TBuilder RequireAppApiToken<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireAuthorization(PolicyName);
}
