using ModeRefresh.Refresh;
using ModeRefresh.Refresh.Delivery;
using ModeRefresh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("refresh", RefreshMetrics.MeterName);
builder.AddRefresh();

var app = builder.Build();

app.UseExceptionHandler();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseDaprCloudEvents(); // after auth: an unauthenticated body is never parsed

app.MapServiceDefaults();
app.MapRefresh();

// A bad setting: one line on stderr naming its key, and exit code 1.
return app.RunOrReportStartupFailure();

public partial class Program;
