using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ModeRefresh.TestSupport;

// Webhook → Mode call latency, end to end, at a steady rate. Two stand-in sidecars share one broker: Ingress's
// (publish) and Refresh's (delivers to Refresh's /dapr/subscribe routes); Refresh calls a fake Mode server.
//   1. start: prints INGRESS_GRPC/INGRESS_HTTP/REFRESH_GRPC/REFRESH_HTTP/MODE_URL and READY, then reads one line from
//      stdin (the driver starts Ingress and Refresh meanwhile, then writes GO);
//   2. waits for Refresh's subscription, sends signed webhooks to Ingress at --rate per second for --seconds, --runs
//      times, and prints per run "E2E sent received p50 p99 p999 max" (ms, webhook sent → Mode call received).
// Each webhook has a unique run id and one of --jobs job ids; job i is routed to report r<i>, so the k-th Mode call
// for a report belongs to the k-th webhook of that job (calls for one report are --jobs/--rate seconds apart).
var opts = Args(args);
var ingressUrl = opts["ingress"];
var rate = int.Parse(opts.GetValueOrDefault("rate", "50"), CultureInfo.InvariantCulture);
var seconds = int.Parse(opts.GetValueOrDefault("seconds", "10"), CultureInfo.InvariantCulture);
var runs = int.Parse(opts.GetValueOrDefault("runs", "3"), CultureInfo.InvariantCulture);
var jobs = int.Parse(opts.GetValueOrDefault("jobs", "20"), CultureInfo.InvariantCulture);
var key = Encoding.UTF8.GetBytes(Environment.GetEnvironmentVariable("BENCH_WEBHOOK_KEY") ?? "bench-webhook-key");

var broker = new StandInBroker();
await using var mode = await FakeModeServer.StartAsync("bench-token", "bench-secret");
await using var ingressSidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" });
await using var refreshSidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
{
    Broker = broker,
    AppId = "refresh",
    AppChannel = new Uri(opts["refresh"]),
});
foreach (var sidecar in new[] { ingressSidecar, refreshSidecar })
{
    sidecar.RecordNothing = true;
    sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", Encoding.UTF8.GetString(key));
    sidecar.SetSecret("secretstore", "MODE_API_TOKEN", "bench-token");
    sidecar.SetSecret("secretstore", "MODE_API_SECRET", "bench-secret");
}
Console.WriteLine($"INGRESS_GRPC={ingressSidecar.GrpcEndpoint}");
Console.WriteLine($"INGRESS_HTTP={ingressSidecar.HttpEndpoint}");
Console.WriteLine($"REFRESH_GRPC={refreshSidecar.GrpcEndpoint}");
Console.WriteLine($"REFRESH_HTTP={refreshSidecar.HttpEndpoint}");
Console.WriteLine($"MODE_URL={mode.BaseUrl}");
Console.WriteLine("READY");
if (Console.ReadLine() is not "GO") return 1;

await refreshSidecar.WaitForSubscriptionsAsync(TimeSpan.FromSeconds(30));
using var http = new HttpClient { BaseAddress = new Uri(ingressUrl), Timeout = TimeSpan.FromSeconds(10) };
var sent = new List<(int Job, DateTimeOffset At)>();
var failures = 0;
var runNumber = 0L;

// Warm-up: one webhook per job, not measured.
await SendRoundAsync(jobs, jobs, measure: false);
await mode.WaitForCallsAsync(c => c.Count >= jobs, TimeSpan.FromSeconds(30));

for (var r = 0; r < runs; r++)
{
    var callsBefore = mode.Calls.Count;
    sent.Clear();
    await SendRoundAsync(rate, rate * seconds, measure: true);
    var expected = callsBefore + sent.Count;
    try { await mode.WaitForCallsAsync(c => c.Count >= expected, TimeSpan.FromSeconds(30)); }
    catch (TimeoutException) { }
    var calls = mode.Calls.Skip(callsBefore).ToList();
    var latencies = new List<double>();
    foreach (var group in calls.GroupBy(c => c.Report))
    {
        var job = int.Parse(group.Key!.AsSpan(1), CultureInfo.InvariantCulture);
        var sends = sent.Where(s => s.Job == job).Select(s => s.At).ToList();
        var ordered = group.OrderBy(c => c.At).ToList();
        for (var i = 0; i < Math.Min(sends.Count, ordered.Count); i++) latencies.Add((ordered[i].At - sends[i]).TotalMilliseconds);
    }
    latencies.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"E2E {sent.Count} {calls.Count} {P(0.50):F2} {P(0.99):F2} {P(0.999):F2} {(latencies.Count > 0 ? latencies[^1] : double.NaN):F2} {failures}"));
    double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
}
return 0;

// Sends `count` webhooks at `perSecond`, on a fixed schedule (a slow answer does not delay the next send).
async Task SendRoundAsync(int perSecond, int count, bool measure)
{
    var pending = new List<Task>(count);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / perSecond);
        if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
        var job = i % jobs;
        var run = Interlocked.Increment(ref runNumber);
        var body = Encoding.UTF8.GetBytes(
            $$$"""{"accountId":1,"webhookId":"wsu_bench","eventId":"wev_bench_{{{run}}}","timestamp":"2026-01-01T00:00:00Z","eventType":"job.run.completed","webhookName":"bench","data":{"jobId":"{{{job}}}","jobName":"bench","runId":"{{{run}}}","environmentId":"1","runStatus":"Success","runStatusCode":10,"runStatusMessage":"None","runReason":"bench"}}""");
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", Convert.ToHexStringLower(HMACSHA256.HashData(key, body)));
        var at = DateTimeOffset.UtcNow;
        if (measure) sent.Add((job, at));
        pending.Add(SendAsync(request));
    }
    await Task.WhenAll(pending);
}

async Task SendAsync(HttpRequestMessage request)
{
    using (request)
    {
        try
        {
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode != 202) Interlocked.Increment(ref failures);
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref failures);
        }
    }
}

static Dictionary<string, string> Args(string[] args)
{
    var map = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2) map[args[i].TrimStart('-')] = args[i + 1];
    return map;
}
