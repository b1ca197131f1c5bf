using ModeRefresh.TestSupport;

// Starts the stand-in sidecar in its fastest mode (accept everything, record nothing), gives it the secrets both
// services need, prints its endpoints on one line each, and runs until SIGTERM/SIGINT.
// Secrets come from the environment so that the benchmark script and this host agree on them.
static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

await using var sidecar = await StandInSidecar.StartAsync();
sidecar.RecordNothing = true;
sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", Env("BENCH_WEBHOOK_KEY", "bench-webhook-key"));
sidecar.SetSecret("secretstore", "MODE_API_TOKEN", Env("BENCH_MODE_TOKEN", "bench-token"));
sidecar.SetSecret("secretstore", "MODE_API_SECRET", Env("BENCH_MODE_SECRET", "bench-secret"));

using var stop = new CancellationTokenSource();
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

Console.WriteLine($"DAPR_GRPC_ENDPOINT={sidecar.GrpcEndpoint}");
Console.WriteLine($"DAPR_HTTP_ENDPOINT={sidecar.HttpEndpoint}");
Console.WriteLine("READY");
Console.Out.Flush();

try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Stopping.
}
