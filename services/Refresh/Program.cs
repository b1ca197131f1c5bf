using ModeRefresh.Refresh.Auth;
using ModeRefresh.Refresh.DeadLetters;
using ModeRefresh.Refresh.Delivery;
using ModeRefresh.Refresh.Health;
using ModeRefresh.Refresh.Hosting;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.Refresh.Planning.Exposures;
using ModeRefresh.Refresh.Planning.Routing;
using ModeRefresh.Refresh.Sidecar;
using ModeRefresh.Refresh.State;
using ModeRefresh.Refresh.Tracking;
using ModeRefresh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceTelemetry("refresh", TrackingMetrics.MeterName);

builder.AddRefreshConfigFile();
builder.AddSidecar();
builder.AddAppApiTokenAuth();
builder.AddReportRouting();
builder.AddModeClient();
builder.AddIdempotency();
builder.AddDeadLetters();
builder.AddExposureRouting();
builder.AddDbtRunSubscription();
builder.AddRunTracking();
builder.AddHealth();

var app = builder.Build();

app.UseExceptionHandler();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseDaprCloudEvents(); // after auth: an unauthenticated body is never parsed

app.MapDbtRunSubscription();
app.MapDeadLetters();
app.MapRunTracking();
app.MapRunDecisions();
app.MapHealth();

// A bad setting: one line on stderr naming its key, and exit code 1.
return app.RunOrReportStartupFailure();

public partial class Program;
