using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModeRefresh.Refresh.Tests.Support;

namespace ModeRefresh.Refresh.Tests.Integration;

/// <summary>Deliveries that can never be read are DROP with a reason, not RETRY (40 redeliveries a minute apart).</summary>
public sealed class UnreadableDeliveryTests
{
    public static TheoryData<string, string> Envelopes => new()
    {
        { """[{"id":"ce-1","data":{}}]""", "the CloudEvent envelope cannot be read: InvalidOperationException" },
        { "42", "the CloudEvent envelope cannot be read: InvalidOperationException" },
        { """{"id":"ce-1","source":"ingress","specversion":"1.0","type":"t","data_base64":"***"}""", "the CloudEvent envelope cannot be read: FormatException" },
        { """{"id":"ce-1","source":"ingress","specversion":"1.0","type":"t","data_base64":5}""", "the CloudEvent envelope cannot be read: InvalidOperationException" },
        { "{this is not json", "the CloudEvent envelope is not JSON" },
    };

    [Theory]
    [MemberData(nameof(Envelopes))]
    public async Task Deliver_EnvelopeCannotBeRead_DropWithReasonLogged(string envelope, string reason)
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));

        using var response = await app.PostEnvelopeAsync(envelope);

        Assert.Equal("DROP", await RefreshApp.AnswerOf(response));
        Assert.Empty(app.Mode.Calls);
        var error = Assert.Single(app.Logs.Lines, l => l.Level == LogLevel.Error);
        Assert.StartsWith($"Dropping a delivery to {RefreshApp.Route}: {reason}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_SourceWithInvalidUtf8Byte_DropNotValidUtf8()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));
        var envelope = Encoding.UTF8.GetBytes(DbtEvents.Envelope(DbtEvents.Completed(), "ce-ff")).ToList();
        var at = Encoding.UTF8.GetBytes(DbtEvents.Envelope(DbtEvents.Completed(), "ce-ff")).AsSpan().IndexOf("\"ingress\""u8) + 1;
        envelope.Insert(at, 0xFF); // "source":"\xFFingress"

        using var response = await PostBytesAsync(app, RefreshApp.Route, [.. envelope], "application/cloudevents+json");

        Assert.Equal("DROP", await RefreshApp.AnswerOf(response));
        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Error, "the CloudEvent envelope is not valid UTF-8"));
    }

    [Fact]
    public async Task Deliver_RawEventWithInvalidUtf8_DropMalformed()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));
        var body = Encoding.UTF8.GetBytes(DbtEvents.Completed(runId: "RUNX").ToJsonString());
        body[Encoding.UTF8.GetString(body).IndexOf("RUNX", StringComparison.Ordinal)] = 0xFF;

        using var response = await PostBytesAsync(app, RefreshApp.Route, body, "application/json");

        Assert.Equal("DROP", await RefreshApp.AnswerOf(response));
        Assert.Empty(app.Mode.Calls);
        Assert.True(app.Logs.Contains(LogLevel.Error, "data is not valid UTF-8"), string.Join("\n", app.Logs.Lines.Select(l => l.Message)));
    }

    [Fact]
    public async Task DeadLetterRoute_EnvelopeCannotBeRead_KeptInListWithReason()
    {
        await using var app = await RefreshApp.StartAsync(RefreshApp.Report(0, "r1", "*"));
        const string array = """[{"id":"ce-1"}]""";
        Assert.Equal("DROP", await RefreshApp.AnswerOf(await app.PostEnvelopeAsync(array)));

        // daprd forwards what was dropped to the dead-letter topic; its handler cannot read it either.
        Assert.Equal("SUCCESS", await RefreshApp.AnswerOf(await app.PostEnvelopeAsync(array, RefreshApp.DeadLetterRoute)));

        var list = JsonNode.Parse(await app.Client.GetStringAsync("/deadletters", TestContext.Current.CancellationToken))!.AsArray();
        var entry = Assert.Single(list)!;
        Assert.StartsWith("dead letter kept without its payload: the CloudEvent envelope cannot be read", entry["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("unreadable-", entry["cloudEventId"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/cloudevents+json")]
    [InlineData("application/json")]
    public async Task Deliver_BodyOverKestrelLimit_DropWithReason(string contentType)
    {
        await using var app = await RefreshApp.StartOnKestrelAsync(RefreshApp.Report(0, "r1", "*"));

        // Raw HTTP/1.1, as daprd's client reads an early answer: Kestrel refuses the body by its Content-Length on the
        // first read, before it is sent, and closes the connection after the answer.
        var (status, body) = await RawPostAsync(app.Client.BaseAddress!, RefreshApp.Route, contentType, 31 * 1024 * 1024);

        Assert.Equal(200, status);
        Assert.Equal("DROP", JsonNode.Parse(body)!["status"]!.GetValue<string>());
        Assert.True(app.Logs.Contains(LogLevel.Error, "the request body cannot be read (413"), string.Join("\n", app.Logs.Lines.Select(l => l.Message)));
    }

    private static async Task<(int Status, string Body)> RawPostAsync(Uri server, string route, string contentType, long contentLength)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, ct);
        var stream = tcp.GetStream();
        var head = $"POST {route} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength}\r\n\r\n{{";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        // The answer is small and the connection closes after it: read to the end, then split head and body.
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(ct);
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = response[..split];
        var body = response[(split + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var chunks = new StringBuilder();
            for (var rest = body; ;)
            {
                var end = rest.IndexOf("\r\n", StringComparison.Ordinal);
                var size = Convert.ToInt32(rest[..end], 16);
                if (size == 0)
                {
                    break;
                }

                chunks.Append(rest.AsSpan(end + 2, size));
                rest = rest[(end + 2 + size + 2)..];
            }

            body = chunks.ToString();
        }

        return (int.Parse(headers.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), body);
    }

    private static async Task<HttpResponseMessage> PostBytesAsync(RefreshApp app, string route, byte[] body, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        var response = await app.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }
}
