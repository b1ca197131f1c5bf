using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ModeRefresh.Bench.Runner;

/// <summary>
/// A process the bench started and measures: its pid for /proc, the last lines of its output for error messages,
/// and a stop that is SIGTERM first. Every one is registered in a <see cref="Children"/> that stops what is left.
/// </summary>
internal sealed class Child
{
    private const int TailLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();

    private Child(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public double CpuSeconds => ProcFs.CpuSeconds(Pid);
    public long RssKb => ProcFs.RssKb(Pid);

    public string Tail => string.Join('\n', Lines);

    /// <summary>The last lines of stdout and stderr together (all of them for a process that printed few).</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return [.. _tail]; }
    }

    public static Child Start(string name, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // Telemetry export stays off whatever the caller's shell has set: every run measures the same thing.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = new Process { StartInfo = info };
        var child = new Child(name, process);
        try
        {
            if (!process.Start()) throw new BenchException($"{name}: could not start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchException($"{name}: could not start {file}: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The first output line starting with <paramref name="prefix"/>, waiting for it (the tail keeps the first lines of a quiet process).</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (_gate)
            {
                if (_tail.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line) return line;
            }
            if (HasExited) throw new BenchException($"{Name} exited before printing {prefix}:\n{Tail}");
            if (clock.Elapsed > timeout) throw new BenchException($"{Name} did not print {prefix} within {timeout.TotalSeconds:F0} s:\n{Tail}");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Polls GET <paramref name="url"/> every ~5 ms until it answers 200; returns the time since <paramref name="since"/>.</summary>
    public async Task<TimeSpan> WaitReadyAsync(HttpClient http, string url, long since, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                // A new connection per poll: a pooled one might belong to an earlier process on the same port.
                using var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { ConnectionClose = true } };
                using var response = await http.SendAsync(request, ct);
                if (response.StatusCode == HttpStatusCode.OK) return Stopwatch.GetElapsedTime(since);
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // One poll timed out; poll again.
            }
            if (HasExited) throw new BenchException($"{Name} exited before {url} answered 200:\n{Tail}");
            if (Stopwatch.GetElapsedTime(since) > TimeSpan.FromSeconds(60)) throw new BenchException($"{Name}: {url} did not answer 200 within 60 s:\n{Tail}");
            await Task.Delay(5, ct);
        }
    }

    /// <summary>SIGTERM, then SIGKILL after 5 s. Safe to call twice.</summary>
    public async Task StopAsync()
    {
        if (HasExited) return;
        ProcFs.Signal(Pid, ProcFs.SigTerm);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    public int ExitCode => _process.ExitCode;

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines) _tail.Dequeue();
        }
    }

    /// <summary>True when nothing listens on 127.0.0.1:<paramref name="port"/> (bind succeeds).</summary>
    public static bool PortIsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>Every process the bench started; disposing stops those still running, newest first.</summary>
internal sealed class Children : IAsyncDisposable
{
    private readonly List<Child> _all = [];

    public Child Start(string name, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var child = Child.Start(name, file, args, environment);
        _all.Add(child);
        return child;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _all.Count - 1; i >= 0; i--) await _all[i].StopAsync();
    }
}
