using ModeRefresh.Ingress;
using ModeRefresh.Ingress.Webhooks;
using ModeRefresh.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("ingress", RejectionMonitor.MeterName);
builder.AddIngress();

var app = builder.Build();
// An unexpected failure is answered in the same problem-details shape as every refusal.
app.UseExceptionHandler();
app.MapServiceDefaults();
app.MapDbtWebhooks();
// A bad setting: one line on stderr naming its key, and exit code 1.
return app.RunOrReportStartupFailure();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
