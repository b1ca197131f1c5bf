using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>Hand-written HTTP/1.1 requests, for what HttpClient will not send: duplicate headers, lying Content-Length.</summary>
internal static class RawHttp
{
    /// <summary>The "status" of a request whose connection closed without an answer.</summary>
    public const int NoAnswer = 0;

    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) and body; returns the status code.</summary>
    public static async Task<int> SendAsync(int port, string head, byte[] body, bool endEarly = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "Connection: close\r\n\r\n"));
        await stream.WriteAsync(body);
        if (endEarly)
        {
            tcp.Client.Shutdown(SocketShutdown.Send); // the body ends before its Content-Length
        }

        try
        {
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
            return status is null ? NoAnswer : int.Parse(status.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return NoAnswer; // reset instead of closed
        }
    }

    public static string Post(string authorizationLines, int contentLength, string contentType = "application/json") =>
        $"POST /webhooks/dbt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength}\r\n{authorizationLines}";
}
