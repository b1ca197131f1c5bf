using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ModeRefresh.Bench.Runner;

// Every measurement of the benchmark, top to bottom; bench/README.md says what is measured and why. bench/run.sh has
// installed wrk and built everything (and the Native AOT publish); this starts what is measured, loads it, reads the
// CPU each process spent from /proc, and writes bench/results/<UTC date>.md. Knobs: BENCH_* (BenchSettings.cs).
BenchSettings settings;
try
{
    settings = BenchSettings.FromEnvironment();
}
catch (BenchSettingsException e)
{
    await Console.Error.WriteLineAsync($"bench: {e.Message}");
    return 2;
}

using var stop = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
var ct = stop.Token;
await using var children = new Children();
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
try
{
    // ------------------------------------------------------------ prerequisites
    foreach (var port in settings.Ports)
    {
        if (!Child.PortIsFree(port)) throw new BenchException($"port {port} is in use; set BENCH_PORT_BASE (ports {settings.PortBase}–{settings.PortBase + 5} are used)");
    }
    var body = File.ReadAllBytes(settings.PayloadFile);
    var webhookKey = "bench-webhook-key-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    var goodSignature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(webhookKey), body));
    var forgedSignature = Convert.ToHexStringLower(HMACSHA256.HashData("not-the-key"u8, body));

    // ------------------------------------------------------------ the stand-in sidecar (its own process, so its CPU is its own)
    Log.Line("starting the stand-in sidecar (bench/SidecarHost, RecordNothing)");
    var sidecar = children.Start("sidecar", "dotnet", [settings.Dll("bench/SidecarHost", "ModeRefresh.Bench.SidecarHost")], new Dictionary<string, string>
    {
        ["BENCH_WEBHOOK_KEY"] = webhookKey,
        ["BENCH_MODE_TOKEN"] = Services.ModeToken,
        ["BENCH_MODE_SECRET"] = Services.ModeSecret,
    });
    await sidecar.WaitForLineAsync("READY", TimeSpan.FromSeconds(60), ct);
    var daprGrpc = (await sidecar.WaitForLineAsync("DAPR_GRPC_ENDPOINT=", TimeSpan.Zero, ct)).Split('=', 2)[1];
    var daprHttp = (await sidecar.WaitForLineAsync("DAPR_HTTP_ENDPOINT=", TimeSpan.Zero, ct)).Split('=', 2)[1];
    var serviceEnvironment = Services.Environment(daprGrpc, daprHttp);

    // ------------------------------------------------------------ what is measured, each started Runs times (start → /readyz 200)
    var startups = new Dictionary<string, List<double>>();
    async Task<Child> StartTimedAsync(string name, string program, int port, Dictionary<string, string> environment)
    {
        var times = startups[name] = [];
        Child? child = null;
        for (var r = 0; r < settings.Runs; r++)
        {
            if (child is not null) await child.StopAsync();
            var (file, args) = Services.Command(program, port);
            var since = Stopwatch.GetTimestamp();
            child = children.Start(name, file, args, environment);
            times.Add((await child.WaitReadyAsync(http, $"http://127.0.0.1:{port}/readyz", since, ct)).TotalMilliseconds);
        }
        Log.Line(string.Create(CultureInfo.InvariantCulture, $"{name} ready in {string.Join(' ', times.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))} ms"));
        return child!;
    }
    var ceiling = await StartTimedAsync("ceiling", settings.Dll("bench/Ceiling", "ModeRefresh.Bench.Ceiling"), settings.CeilingPort, serviceEnvironment);
    var ingress = await StartTimedAsync("ingress", settings.Dll("services/Ingress", "ModeRefresh.Ingress"), settings.IngressPort, serviceEnvironment);
    var refresh = await StartTimedAsync("refresh", settings.Dll("services/Refresh", "ModeRefresh.Refresh"), settings.RefreshPort,
        Services.IdleRefresh(serviceEnvironment));
    var aot = AotBuild.Describe(settings);
    var aotIngress = aot.Binary is null ? null : await StartTimedAsync("ingress-aot", aot.Binary, settings.AotPort, serviceEnvironment);

    // ------------------------------------------------------------ one request of each kind answers as it should
    async Task CheckAsync(int port, string signature, int expected, string? answerContains)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/webhooks/dbt") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", signature);
        using var response = await http.SendAsync(request, ct);
        var answer = await response.Content.ReadAsStringAsync(ct);
        if ((int)response.StatusCode != expected || (answerContains is not null && !answer.Contains(answerContains, StringComparison.Ordinal)))
            throw new BenchException($"expected {expected}{(answerContains is null ? "" : $" with {answerContains}")} from port {port}, got {(int)response.StatusCode}: {answer}");
    }
    await CheckAsync(settings.CeilingPort, goodSignature, 202, null);
    await CheckAsync(settings.IngressPort, goodSignature, 202, "\"published\":true");
    await CheckAsync(settings.IngressPort, forgedSignature, 401, null);
    if (aotIngress is not null)
    {
        await CheckAsync(settings.AotPort, goodSignature, 202, "\"published\":true");
        await CheckAsync(settings.AotPort, forgedSignature, 401, null);
    }

    // ------------------------------------------------------------ load: the ceiling at every generator thread count, then the paths
    string Url(int port) => $"http://127.0.0.1:{port}/webhooks/dbt";
    var targets = settings.GeneratorThreads
        .Select(t => new LoadTarget($"ceiling-t{t}", "1. ceiling: bare Kestrel, read body, 202", Url(settings.CeilingPort), goodSignature, ceiling, t, 202))
        .ToList();
    var ceilingRow = targets.Single(t => t.Threads == settings.Threads);
    targets.Add(new("verified", "2. Ingress verified (HMAC → parse → publish → 202)", Url(settings.IngressPort), goodSignature, ingress, settings.Threads, 202));
    targets.Add(new("forged", "3. Ingress forged (wrong HMAC → 401)", Url(settings.IngressPort), forgedSignature, ingress, settings.Threads, 401));
    if (aotIngress is not null)
    {
        targets.Add(new("aot-verified", "2a. Ingress Native AOT (the image build), verified", Url(settings.AotPort), goodSignature, aotIngress, settings.Threads, 202));
        targets.Add(new("aot-forged", "3a. Ingress Native AOT (the image build), forged", Url(settings.AotPort), forgedSignature, aotIngress, settings.Threads, 401));
    }
    if (settings.Warmup > 0)
    {
        Log.Line($"warm-up: {settings.Warmup} s per row");
        foreach (var target in targets) await Load.RunAsync(settings, children, target, sidecar, settings.Warmup, ct);
    }
    // Interleaved (every row once per round) so that drift on the machine hits every row alike.
    for (var r = 0; r < settings.Runs; r++)
    {
        foreach (var target in targets)
        {
            Log.Line($"run {r + 1}/{settings.Runs}: {target.Key} ({settings.Duration} s, -t{target.Threads} -c{settings.Connections})");
            target.Samples.Add(await Load.RunAsync(settings, children, target, sidecar, settings.Duration, ct));
        }
    }
    var loadAfter = ProcFs.LoadAverage();
    var rss = new Dictionary<string, long>
    {
        ["ceiling"] = ceiling.RssKb,
        ["ingress"] = ingress.RssKb,
        ["refresh"] = refresh.RssKb,
        ["sidecar"] = sidecar.RssKb,
    };
    if (aotIngress is not null) rss["ingress-aot"] = aotIngress.RssKb;

    // ------------------------------------------------------------ allocations per verified request (bench/Micro, in its own process)
    Log.Line("micro: allocations per verified request");
    var micro = new List<MicroSample>();
    for (var r = 0; r < settings.Runs; r++)
    {
        var run = children.Start("micro", "dotnet", [settings.Dll("bench/Micro", "ModeRefresh.Bench.Micro"), settings.PayloadFile, "200000"]);
        await run.WaitForExitAsync(ct);
        if (run.ExitCode != 0) throw new BenchException($"bench/Micro exited with {run.ExitCode}:\n{run.Tail}");
        micro.AddRange(run.Lines.Select(MicroSample.Parse).OfType<MicroSample>());
    }

    // ------------------------------------------------------------ webhook → Mode end to end (a failure is reported, the rest still is)
    Log.Line($"end to end: Ingress → stand-in broker → Refresh → fake Mode at {settings.E2ERate} webhooks/s");
    EndToEndResult? endToEnd = null;
    string? endToEndFailure = null;
    try
    {
        endToEnd = await EndToEnd.RunAsync(settings, children, http, webhookKey, ct);
    }
    catch (Exception e) when (e is BenchException or TimeoutException or HttpRequestException or IOException)
    {
        endToEndFailure = e.Message.ReplaceLineEndings(" ");
        Log.Line($"end to end failed: {endToEndFailure}");
    }

    // ------------------------------------------------------------ the results file
    var commit = await Output.OfAsync(children, "git", "-C", settings.Root, "rev-parse", "--short", "HEAD");
    var dirty = (await Output.OfAsync(children, "git", "-C", settings.Root, "status", "--porcelain")).Length > 0;
    var dotnetVersion = await Output.OfAsync(children, "dotnet", "--version");
    var wrkVersion = string.Join(' ', (await Output.OfAsync(children, "wrk", "-v")).Split(' ').Take(2));
    var results = new Results(settings, DateTime.UtcNow, commit, dirty, dotnetVersion, wrkVersion, loadAfter, body.Length,
        targets, ceilingRow, startups, rss, aot, micro, endToEnd, endToEndFailure);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Output))!);
    var markdown = Report.Markdown(results);
    await File.WriteAllTextAsync(settings.Output, markdown, ct);
    Log.Line($"wrote {settings.Output}");
    await Console.Out.WriteAsync(markdown);
    return 0;
}
catch (BenchException e)
{
    Log.Line($"failed: {e.Message}");
    return 1;
}
catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && e.Message.Contains("/proc/", StringComparison.Ordinal))
{
    Log.Line($"failed: a measured process has exited ({e.Message})");
    return 1;
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Log.Line("stopped");
    return 130;
}
