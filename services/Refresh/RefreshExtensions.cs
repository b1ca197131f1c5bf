using ModeRefresh.Refresh.Auth;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Delivery;
using ModeRefresh.Refresh.Planning.Exposures;
using ModeRefresh.Refresh.Health;
using ModeRefresh.Refresh.History;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Planning.Routing;
using ModeRefresh.Refresh.Sidecar;
using ModeRefresh.Refresh.Subscription;
using ModeRefresh.Refresh.Tracking;

namespace ModeRefresh.Refresh;

/// <summary>
/// Refresh's own parts, on top of AddServiceDefaults, in one call each way: registered, then mapped. With Program.cs
/// the composition root: the only file that may use every folder.
/// </summary>
public static class RefreshExtensions
{
    public static WebApplicationBuilder AddRefresh(this WebApplicationBuilder builder)
    {
        // First: the file it names overrides appsettings*.json for every part below.
        builder.AddRefreshConfigFile();
        builder.AddSidecar();
        builder.AddAppApiTokenAuth();
        builder.AddReportRouting();
        builder.AddModeClient();
        builder.AddIdempotency();
        builder.AddDeadLetters();
        builder.AddRunHistory();
        builder.AddExposureRouting();
        builder.AddDbtRunSubscription();
        builder.AddRunTracking();
        builder.AddHealth();
        return builder;
    }

    public static IEndpointRouteBuilder MapRefresh(this IEndpointRouteBuilder app)
    {
        app.MapDbtRunSubscription();
        app.MapDeadLetters();
        app.MapRunHistory();
        app.MapRunTracking();
        app.MapRunDecisions();
        return app;
    }
}
