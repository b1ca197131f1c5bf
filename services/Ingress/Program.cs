using ModeRefresh.Ingress;
using ModeRefresh.Ingress.Health;
using ModeRefresh.Ingress.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.AddIngress();

var app = builder.Build();
app.MapHealth();
app.MapDbtWebhooks();
app.Run();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
