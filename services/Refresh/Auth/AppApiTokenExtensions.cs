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

        builder.Services.AddAuthentication(AppApiTokenHandler.SchemeName)
            .AddScheme<AppApiTokenOptions, AppApiTokenHandler>(AppApiTokenHandler.SchemeName, options => options.Token = token);
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
                // Same policy name either way, so endpoint mapping does not depend on the deployment.
                options.AddPolicy(PolicyName, policy => policy.RequireAssertion(_ => true));
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
