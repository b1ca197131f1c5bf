using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Bench.Runner;

/// <summary>One measured end-to-end run: webhooks sent, Mode calls received, latency percentiles (ms).</summary>
internal sealed record EndToEndRun(int Sent, int ModeCalls, int FailedSends, double P50, double P99, double P999, double Max);

internal sealed record EndToEndResult(IReadOnlyList<EndToEndRun> Runs, long IngressRssKb, long RefreshRssKb);

/// <summary>
/// Webhook → Mode call latency at a steady rate. Two stand-in sidecars share one broker, hosted here: Ingress's
/// (publish) and Refresh's (reads Refresh's /dapr/subscribe and delivers); Refresh calls a fake Mode server, also here.
/// Each webhook has a new run id and one of <see cref="Jobs"/> job ids; job j is routed to report r&lt;j&gt;, so the k-th
/// Mode call for a report belongs to the k-th webhook of that job (calls for one report are Jobs/rate seconds apart).
/// </summary>
internal static class EndToEnd
{
    public const int Jobs = 20;

    public static async Task<EndToEndResult> RunAsync(BenchSettings settings, Children children, HttpClient http, string webhookKey,
        CancellationToken ct)
    {
        var key = Encoding.UTF8.GetBytes(webhookKey);
        var broker = new StandInBroker();
        await using var mode = await FakeModeServer.StartAsync(Services.ModeToken, Services.ModeSecret, ct);
        await using var ingressSidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions { Broker = broker, AppId = "ingress" }, ct);
        await using var refreshSidecar = await StandInSidecar.StartAsync(new StandInSidecarOptions
        {
            Broker = broker,
            AppId = "refresh",
            AppChannel = new Uri($"http://127.0.0.1:{settings.E2ERefreshPort}"),
        }, ct);
        foreach (var sidecar in new[] { ingressSidecar, refreshSidecar })
        {
            sidecar.RecordNothing = true;
            sidecar.SetSecret("secretstore", Services.WebhookKeySecret, webhookKey);
            sidecar.SetSecret("secretstore", "MODE_API_TOKEN", Services.ModeToken);
            sidecar.SetSecret("secretstore", "MODE_API_SECRET", Services.ModeSecret);
        }

        var (ingressFile, ingressArgs) = Services.Command(settings.Dll("services/Ingress", "ModeRefresh.Ingress"), settings.E2EIngressPort);
        var ingress = children.Start("e2e-ingress", ingressFile, ingressArgs,
            Services.Environment(ingressSidecar.GrpcEndpoint, ingressSidecar.HttpEndpoint));
        var (refreshFile, refreshArgs) = Services.Command(settings.Dll("services/Refresh", "ModeRefresh.Refresh"), settings.E2ERefreshPort);
        var refresh = children.Start("e2e-refresh", refreshFile, refreshArgs,
            Services.RoutedRefresh(Services.Environment(refreshSidecar.GrpcEndpoint, refreshSidecar.HttpEndpoint), Jobs, mode.BaseUrl));
        try
        {
            var since = Stopwatch.GetTimestamp();
            await ingress.WaitReadyAsync(http, $"http://127.0.0.1:{settings.E2EIngressPort}/readyz", since, ct);
            await refresh.WaitReadyAsync(http, $"http://127.0.0.1:{settings.E2ERefreshPort}/readyz", since, ct);
            await refreshSidecar.WaitForSubscriptionsAsync(TimeSpan.FromSeconds(30));

            var sender = new Sender(http, new Uri($"http://127.0.0.1:{settings.E2EIngressPort}/webhooks/dbt"), key);
            // Warm-up: one webhook per job, not measured.
            await sender.SendRoundAsync(Jobs, Jobs, ct);
            await mode.WaitForCallsAsync(c => RunStarts(c).Count() >= Jobs, TimeSpan.FromSeconds(30));

            var runs = new List<EndToEndRun>();
            for (var r = 0; r < settings.Runs; r++)
            {
                Log.Line($"end to end run {r + 1}/{settings.Runs}: {settings.E2ERate} webhooks/s for {settings.Duration} s");
                var before = RunStarts(mode.Calls).Count();
                var sent = await sender.SendRoundAsync(settings.E2ERate, settings.E2ERate * settings.Duration, ct);
                try { await mode.WaitForCallsAsync(c => RunStarts(c).Count() >= before + sent.Count, TimeSpan.FromSeconds(30)); }
                catch (TimeoutException) { /* counted below as sent without a Mode call */ }
                runs.Add(Measure(sent, [.. RunStarts(mode.Calls).Skip(before)], sender.TakeFailures()));
            }
            return new EndToEndResult(runs, ingress.RssKb, refresh.RssKb);
        }
        finally
        {
            await refresh.StopAsync();
            await ingress.StopAsync();
        }
    }

    // Report-run starts only: a status poll (GET) is not the call the latency is measured to.
    private static IEnumerable<FakeModeCall> RunStarts(IEnumerable<FakeModeCall> calls) =>
        calls.Where(c => c.Report is not null && string.Equals(c.Method, "POST", StringComparison.OrdinalIgnoreCase));

    private static EndToEndRun Measure(IReadOnlyList<(int Job, DateTimeOffset At)> sent, IReadOnlyList<FakeModeCall> calls, int failures)
    {
        var latencies = new List<double>();
        foreach (var group in calls.GroupBy(c => c.Report!))
        {
            var job = int.Parse(group.Key.AsSpan(1), CultureInfo.InvariantCulture);
            var sends = sent.Where(s => s.Job == job).Select(s => s.At).ToList();
            var ordered = group.OrderBy(c => c.At).ToList();
            for (var i = 0; i < Math.Min(sends.Count, ordered.Count); i++) latencies.Add((ordered[i].At - sends[i]).TotalMilliseconds);
        }
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        return new EndToEndRun(sent.Count, calls.Count, failures, P(0.50), P(0.99), P(0.999), latencies.Count > 0 ? latencies[^1] : double.NaN);
    }

    private sealed class Sender(HttpClient http, Uri url, byte[] key)
    {
        private long _runNumber;
        private int _failures;

        public int TakeFailures() => Interlocked.Exchange(ref _failures, 0);

        /// <summary>Sends <paramref name="count"/> webhooks at <paramref name="perSecond"/> on a fixed schedule (a slow answer does not delay the next).</summary>
        public async Task<IReadOnlyList<(int Job, DateTimeOffset At)>> SendRoundAsync(int perSecond, int count, CancellationToken ct)
        {
            var sent = new List<(int Job, DateTimeOffset At)>(count);
            var pending = new List<Task>(count);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / perSecond);
                if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct);
                var job = i % Jobs;
                var run = Interlocked.Increment(ref _runNumber);
                var body = Encoding.UTF8.GetBytes(
                    $$$"""{"accountId":1,"webhookId":"wsu_bench","eventId":"wev_bench_{{{run}}}","timestamp":"2026-01-01T00:00:00Z","eventType":"job.run.completed","webhookName":"bench","data":{"jobId":"{{{job}}}","jobName":"bench","runId":"{{{run}}}","environmentId":"1","runStatus":"Success","runStatusCode":10,"runStatusMessage":"None","runReason":"bench"}}""");
                var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json");
                request.Headers.TryAddWithoutValidation("Authorization", Convert.ToHexStringLower(HMACSHA256.HashData(key, body)));
                sent.Add((job, DateTimeOffset.UtcNow));
                pending.Add(SendAsync(request, ct));
            }
            await Task.WhenAll(pending);
            return sent;
        }

        private async Task SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            using (request)
            {
                try
                {
                    using var response = await http.SendAsync(request, ct);
                    if ((int)response.StatusCode != 202) Interlocked.Increment(ref _failures);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _failures);
                }
            }
        }
    }
}
