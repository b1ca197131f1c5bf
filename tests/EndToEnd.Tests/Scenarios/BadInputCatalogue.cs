using System.Net.Http.Headers;
using System.Text;
using ModeRefresh.EndToEnd.Tests.Harness;

namespace ModeRefresh.EndToEnd.Tests.Scenarios;

/// <param name="Alternative">A second acceptable status, where the wire allows two right outcomes.</param>
internal sealed record BadInput(string Name, int Expected, Func<Task<int>> Send, int? Alternative = null);

/// <summary>The requests of <see cref="BadInputTests"/>, each with the status README's order of checks gives it.</summary>
internal static class BadInputCatalogue
{
    private const int Cap = 65536; // Ingress:MaxBodyBytes default

    public static IReadOnlyList<BadInput> Cases(EndToEndSystem system)
    {
        var valid = Webhooks.Completed("wev_bad", "123", "run-bad");
        var validBytes = Encoding.UTF8.GetBytes(valid);
        var port = system.Ingress.Port;
        var http = system.Ingress.Client;

        Func<Task<int>> SignedText(string body, string contentType = "application/json") => Signed(Encoding.UTF8.GetBytes(body), contentType);
        Func<Task<int>> Signed(byte[] body, string contentType = "application/json") => Post(body, Webhooks.Sign(body), contentType);
        Func<Task<int>> Post(byte[] body, string? signature, string contentType = "application/json") =>
            async () => await StatusAsync(system.SendAsync(body, signature, contentType));
        Func<Task<int>> Method(HttpMethod method, string path = "/webhooks/dbt") => async () =>
        {
            using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Get || method == HttpMethod.Head ? null : new ByteArrayContent(validBytes) };
            request.Headers.TryAddWithoutValidation("Authorization", Webhooks.Sign(valid));
            return await StatusAsync(http.SendAsync(request));
        };
        Func<Task<int>> Raw(string authorizationLines, byte[] body) => () => RawHttp.SendAsync(port, RawHttp.Post(authorizationLines, body.Length), body);

        var sig = Webhooks.Sign(valid);
        var other = Webhooks.Sign(Webhooks.Completed("wev_other", "123", "run-other"));
        var over = Encoding.UTF8.GetBytes(valid + new string(' ', Cap));
        var deepArray = new string('[', 5000) + new string(']', 5000);
        var deepObject = string.Concat(Enumerable.Repeat("{\"a\":", 1000)) + "1" + new string('}', 1000);
        var wideArray = "[" + string.Join(",", Enumerable.Repeat("0", 20000)) + "]";
        var badUtf8 = Encoding.UTF8.GetBytes(valid.Replace("Daily Job", "Daily\u0001Job", StringComparison.Ordinal));
        badUtf8[Array.IndexOf(badUtf8, (byte)1)] = 0xC3; // a lead byte followed by ASCII: not UTF-8

        return
        [
            new("GET", 405, Method(HttpMethod.Get)),
            new("PUT with a valid signature", 405, Method(HttpMethod.Put)),
            new("DELETE", 405, Method(HttpMethod.Delete)),
            new("PATCH", 405, Method(HttpMethod.Patch)),
            new("POST to another path", 404, Method(HttpMethod.Post, "/webhooks/other")),
            new("POST below the webhook path", 404, Method(HttpMethod.Post, "/webhooks/dbt/extra")),
            new("no Authorization", 401, Post(validBytes, null)),
            new("empty Authorization", 401, Raw("Authorization: \r\n", validBytes)),
            new("Bearer scheme before the signature", 401, Post(validBytes, "Bearer " + sig)),
            new("sha256= prefix", 401, Post(validBytes, "sha256=" + sig)),
            new("signature of another body", 401, Post(validBytes, other)),
            new("right length, wrong key", 401, Post(validBytes, Webhooks.Sign(valid, "not-the-key"))),
            new("63 hex digits", 401, Post(validBytes, sig[..63])),
            new("65 hex digits", 401, Post(validBytes, sig + "0")),
            new("64 non-hex characters", 401, Post(validBytes, new string('z', 64))),
            new("signature plus a second token", 401, Post(validBytes, sig + " " + sig)),
            new("duplicate Authorization: valid then forged", 401, Raw($"Authorization: {sig}\r\nAuthorization: {other}\r\n", validBytes)),
            new("duplicate Authorization: forged then valid", 401, Raw($"Authorization: {other}\r\nAuthorization: {sig}\r\n", validBytes)),
            new("forged signature, text/plain", 401, Post(validBytes, other, "text/plain")),
            new("forged signature, charset=utf-16", 401, Post(validBytes, other, "application/json; charset=utf-16")),
            new("signed form-urlencoded body", 400, SignedText("eventId=1&eventType=job.run.completed", "application/x-www-form-urlencoded")),
            new("signed XML body", 400, SignedText("<event><eventId>1</eventId></event>", "application/xml")),
            new("signed empty body", 400, Signed(Array.Empty<byte>())),
            new("signed truncated JSON", 400, SignedText(valid[..(valid.Length / 2)])),
            new("signed invalid UTF-8 in a string", 400, Signed(badUtf8)),
            new("signed NUL bytes", 400, Signed(new byte[64])),
            new("signed JSON bomb: 5000 nested arrays", 400, SignedText(deepArray)),
            new("signed JSON bomb: 1000 nested objects", 400, SignedText(deepObject)),
            new("signed 20000-element array", 400, SignedText(wideArray)),
            new("signed JSON string", 400, SignedText("\"job.run.completed\"")),
            new("signed trailing garbage", 400, SignedText(valid + "}")),
            new("signed, no eventId", 400, SignedText(valid.Replace("\"eventId\"", "\"eventID\"", StringComparison.Ordinal))),
            new("signed, empty eventType", 400, SignedText(valid.Replace("job.run.completed", "", StringComparison.Ordinal))),
            new("signed, data an array", 400, SignedText("""{"eventId":"e","eventType":"job.run.completed","data":[]}""")),
            new("signed, runStatusCode not a number", 400, SignedText(valid.Replace("\"runStatusCode\":10", "\"runStatusCode\":\"ten\"", StringComparison.Ordinal))),
            new("signed, jobId a boolean", 400, SignedText(valid.Replace("\"jobId\":\"123\"", "\"jobId\":true", StringComparison.Ordinal))),
            new("signed, lone surrogate escape in eventId", 400, SignedText(valid.Replace("wev_bad", "wev_\\ud800", StringComparison.Ordinal))),
            new("body shorter than its Content-Length", 400, () => RawHttp.SendAsync(port, RawHttp.Post($"Authorization: {sig}\r\n", validBytes.Length + 100), validBytes, endEarly: true),
                Alternative: RawHttp.NoAnswer), // Kestrel may just close a connection whose body ended early
            new("over the cap with Content-Length, unsigned", 413, Post(over, null)),
            new("over the cap with Content-Length, signed", 413, Signed(over)),
            new("over the cap, chunked (no Content-Length)", 413, () => Chunked(http, over)),
            new("Authorization header of 40 KB", 431, Post(validBytes, new string('a', 40 * 1024))),
            new("signed unknown event type (accepted, not published)", 202, SignedText(Webhooks.Payload("wev_odd", "123", "run-odd", "job.run.unknown").ToJsonString())),
        ];
    }

    private static async Task<int> StatusAsync(Task<HttpResponseMessage> send)
    {
        using var response = await send;
        return (int)response.StatusCode;
    }

    private static async Task<int> Chunked(HttpClient http, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/dbt") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("Authorization", Webhooks.Sign(body));
        return await StatusAsync(http.SendAsync(request));
    }
}
