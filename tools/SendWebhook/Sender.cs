using System.Net.Http.Headers;
using System.Text;

namespace ModeRefresh.SendWebhook;

/// <summary>The tool's whole run, with its outputs injectable so tests can drive it.</summary>
public static class Sender
{
    /// <returns>0 on a 2xx answer, 1 on another answer or a transport error, 2 on bad arguments.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        Func<string, string?> env, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        var (o, error) = SendOptions.Parse(args, env);
        if (o is null)
        {
            if (error is not null) await stderr.WriteLineAsync("error: " + error);
            await stderr.WriteLineAsync(SendOptions.Usage);
            return error is null ? 0 : 2;
        }

        byte[] body;
        try
        {
            body = o.File is null ? PayloadBuilder.Build(o, (time ?? TimeProvider.System).GetUtcNow()) : await File.ReadAllBytesAsync(o.File);
        }
        catch (IOException ex)
        {
            await stderr.WriteLineAsync($"error: cannot read {o.File}: {ex.Message}");
            return 2;
        }
        var signature = PayloadBuilder.Sign(body, o.Key!);
        if (o.DryRun)
        {
            await stdout.WriteLineAsync(Encoding.UTF8.GetString(body));
            await stdout.WriteLineAsync("Authorization: " + signature);
            return 0;
        }

        // dbt gives up after 10 s; so does this tool.
        using var http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, o.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", signature);
        try
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            await stdout.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}");
            if (text.Length > 0) await stdout.WriteLineAsync(text);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"error: POST {o.Url} failed: {ex.Message}{Hint(ex, new Uri(o.Url))}");
            return 1;
        }
    }

    // What to check, for the failures a first run meets.
    private static string Hint(Exception error, Uri url)
    {
        var origin = url.GetLeftPart(UriPartial.Authority);
        return error switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } =>
                $" — Ingress is probably not running at {origin}; start it with `dapr run -f .` (or pass --url where it runs)",
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } =>
                $" — the host {url.Host} is unknown; check --url",
            TaskCanceledException =>
                " — no answer within 10 s (dbt gives up then too); check Ingress's log and that its Dapr sidecar is running",
            _ => "",
        };
    }
}
