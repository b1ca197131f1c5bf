using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using ModeRefresh.Contracts;
using ModeRefresh.SendWebhook;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Tools.Tests;

public sealed class SendWebhookTests
{
    private static Func<string, string?> Env(string? key) => name => name == "DBT_WEBHOOK_KEY" ? key : null;

    // The real Ingress app in memory, wired to the stand-in sidecar that holds its webhook key.
    // Ready before the tool posts: on a starved machine the first key read can outlast the 2 s production
    // SecretTimeout, and the tool would then meet Ingress's fail-closed 503 instead of the answer under test.
    private static async Task<WebApplicationFactory<Program>> IngressWithKeyAsync(StandInSidecar sidecar, string key)
    {
        sidecar.AddSecretStore("secretstore");
        sidecar.SetSecret("secretstore", "DBT_WEBHOOK_KEY", key);
        var ingress = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("DAPR_GRPC_ENDPOINT", sidecar.GrpcEndpoint);
            b.UseSetting("DAPR_HTTP_ENDPOINT", sidecar.HttpEndpoint);
            b.UseSetting("Ingress:SecretTimeout", "00:00:05");
        });
        using var client = ingress.CreateClient();
        await Eventually.UntilAsync(
            async () => (await client.GetAsync("/readyz", TestContext.Current.CancellationToken)).IsSuccessStatusCode,
            "Ingress ready (webhook key loaded)", TestContext.Current.CancellationToken);
        return ingress;
    }

    [Fact]
    public async Task Run_AgainstIngress_202AndPublishedWithGivenIds()
    {
        await using var sidecar = await StandInSidecar.StartAsync(TestContext.Current.CancellationToken);
        using var ingress = await IngressWithKeyAsync(sidecar, "tool-key");
        var stdout = new StringWriter();

        var exit = await Sender.RunAsync(
            ["--url", "http://localhost/webhooks/dbt", "--account", "77", "--job", "555", "--run", "999", "--event-id", "wev_tool"],
            stdout, new StringWriter(), Env("tool-key"), ingress.Server.CreateHandler());

        Assert.Equal(0, exit);
        Assert.StartsWith("202 Accepted", stdout.ToString(), StringComparison.Ordinal);
        var published = Assert.Single(sidecar.Published);
        var evt = JsonSerializer.Deserialize(published.Data, ContractsJsonContext.Default.DbtRunEvent)!;
        Assert.Equal(("wev_tool", "77", "555", "999"), (evt.EventId, evt.AccountId, evt.Data.JobId, evt.Data.RunId));
        Assert.Equal((10, "Success"), (evt.Data.RunStatusCode, evt.Data.RunStatus));
    }

    [Fact]
    public async Task Run_WrongKey_PrintsIngress401AndExits1()
    {
        await using var sidecar = await StandInSidecar.StartAsync(TestContext.Current.CancellationToken);
        using var ingress = await IngressWithKeyAsync(sidecar, "tool-key");
        var stdout = new StringWriter();

        var exit = await Sender.RunAsync(["--url", "http://localhost/webhooks/dbt", "--key", "not-it"],
            stdout, new StringWriter(), Env(null), ingress.Server.CreateHandler());

        Assert.Equal(1, exit);
        Assert.Contains("401", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid signature", stdout.ToString(), StringComparison.Ordinal);
        Assert.Empty(sidecar.Published);
    }

    [Fact]
    public async Task Run_FileDryRun_SignsExactBytesAsOpenSslDoes()
    {
        // printf '%s' 'hello dbt' | openssl dgst -sha256 -hmac 'k3y-one'
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "hello dbt", TestContext.Current.CancellationToken);
        var stdout = new StringWriter();

        var exit = await Sender.RunAsync(["--file", file, "--dry-run"], stdout, new StringWriter(), Env("k3y-one"));

        Assert.Equal(0, exit);
        Assert.Contains("Authorization: 80f8e190173632f128eae81907590c378c0f954aff22ff534030899041d81426", stdout.ToString(), StringComparison.Ordinal);
        File.Delete(file);
    }

    [Theory]
    [InlineData("error", 20, "Errored")]
    [InlineData("running", 3, "Running")]
    public async Task Run_StatusOption_SetsDbtStatusPair(string status, int code, string name)
    {
        var stdout = new StringWriter();

        var exit = await Sender.RunAsync(["--status", status, "--dry-run"], stdout, new StringWriter(), Env("k"));

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout.ToString().Split('\n')[0]);
        Assert.Equal(code, doc.RootElement.GetProperty("data").GetProperty("runStatusCode").GetInt32());
        Assert.Equal(name, doc.RootElement.GetProperty("data").GetProperty("runStatus").GetString());
    }

    [Theory]
    [InlineData(new string[0], "no key")]
    [InlineData(new[] { "--key", "k", "--status", "weird" }, "--status must be one of")]
    [InlineData(new[] { "--key", "k", "--bogus", "1" }, "unknown option --bogus")]
    [InlineData(new[] { "--key" }, "--key needs a value")]
    [InlineData(new[] { "--key", "k", "--url", "not a url" }, "not an absolute URL")]
    public async Task Run_BadArguments_Exit2WithReason(string[] args, string reason)
    {
        var stderr = new StringWriter();

        var exit = await Sender.RunAsync(args, new StringWriter(), stderr, Env(null));

        Assert.Equal(2, exit);
        Assert.Contains(reason, stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NothingListening_Exit1SayingIngressIsProbablyNotRunningAndHowToStartIt()
    {
        var stderr = new StringWriter();

        var exit = await Sender.RunAsync(["--url", "http://127.0.0.1:1/webhooks/dbt"], new StringWriter(), stderr, Env("k"));

        Assert.Equal(1, exit);
        var said = stderr.ToString();
        Assert.Contains("POST http://127.0.0.1:1/webhooks/dbt failed", said, StringComparison.Ordinal);
        Assert.Contains("Ingress is probably not running at http://127.0.0.1:1", said, StringComparison.Ordinal);
        Assert.Contains("start it with `dapr run -f .`", said, StringComparison.Ordinal);
        Assert.Single(said.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Run_NoAnswerInTime_Exit1PointingAtIngressAndItsSidecar()
    {
        var stderr = new StringWriter();

        var exit = await Sender.RunAsync(["--url", "http://localhost/webhooks/dbt"], new StringWriter(), stderr, Env("k"), new NeverAnswers());

        Assert.Equal(1, exit);
        Assert.Contains("no answer within 10 s", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("not running", stderr.ToString(), StringComparison.Ordinal);
    }

    // What HttpClient's own timeout looks like, without waiting 10 s for it.
    private sealed class NeverAnswers : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromException<HttpResponseMessage>(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 10 seconds elapsing."));
    }
}
