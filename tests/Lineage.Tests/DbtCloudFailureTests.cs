using Microsoft.Extensions.DependencyInjection;
using ModeRefresh.Lineage.Tests.Support;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests;

/// <summary>
/// What each dbt Cloud failure comes to (issue 13, item 5): 429/5xx/timeouts transient, 401/403 permanent naming the
/// token's secret (never its value), 404 for artifacts "no artifacts", an unreadable or oversized manifest permanent.
/// </summary>
public sealed class DbtCloudFailureTests
{
    private const string Token = "dbtc_s3cr3t-value-NEVER-SHOWN";
    private const string Account = "43786";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(FakeDbtCloudServer Dbt, ServiceProvider Services)> Start(params (string, string)[] settings)
    {
        var dbt = await FakeDbtCloudServer.StartAsync(Token, AcmeProject.AccountId, Ct);
        dbt.AddRun(AcmeProject.Scenario("full-build"));
        return (dbt, LineageServices.Build(dbt.BaseUrl, settings));
    }

    private static Task<LineageOutcome> Decide(ServiceProvider services, string token = Token, string account = Account) =>
        services.GetRequiredService<ExposureRouter>().DecideAsync(account, "70001", 10, token, Ct);

    [Fact]
    public async Task DecideAsync_WrongToken_PermanentNamingTheSecretNotTheValue()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await Decide(services, token: "dbtc_wrong-token");

        var permanent = Assert.IsType<LineageOutcome.Permanent>(outcome);
        Assert.Contains("secret 'DBT_CLOUD_API_TOKEN' (DbtCloud:TokenSecretName)", permanent.Reason, StringComparison.Ordinal);
        Assert.Contains("401: Invalid token.", permanent.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("dbtc_wrong-token", outcome.Explanation, StringComparison.Ordinal);
        Assert.Single(dbt.Calls); // not retried: it cannot pass
    }

    [Fact]
    public async Task DecideAsync_401_NamesAConfiguredSecretName()
    {
        var (dbt, services) = await Start(("DbtCloud:TokenSecretName", "dbt-cloud-token"));
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await Decide(services, token: "dbtc_wrong-token");

        Assert.Contains("secret 'dbt-cloud-token'", Assert.IsType<LineageOutcome.Permanent>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_TokenOfAnotherAccount_403PermanentSayingWhatItNeeds()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await Decide(services, account: "99");

        var reason = Assert.IsType<LineageOutcome.Permanent>(outcome).Reason;
        Assert.Contains("403", reason, StringComparison.Ordinal);
        Assert.Contains("'DBT_CLOUD_API_TOKEN'", reason, StringComparison.Ordinal);
        Assert.Contains("read access to the account's runs", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, outcome.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_ServerEchoesTheToken_ItIsRedacted()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.Status(403, $"token {Token} lacks permission"), FakeDbtCloudTarget.Run);

        var outcome = await Decide(services);

        Assert.Contains("token [redacted] lacks permission", outcome.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, outcome.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_NoArtifactsForAnyStep_NoArtifacts()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        dbt.AddRun(new FakeDbtRun(AcmeProject.AccountId, 70001, 10, FakeDbtRun.PlatformSteps));

        var outcome = await Decide(services);

        Assert.Contains("no step of the run has a run_results.json (404)", Assert.IsType<LineageOutcome.NoArtifacts>(outcome).Reason, StringComparison.Ordinal);
        Assert.Contains("only configured routes apply", outcome.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain(dbt.Calls, c => c.Target == FakeDbtCloudTarget.Manifest);
    }

    [Fact]
    public async Task DecideAsync_ManifestMissing_NoArtifacts()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.Status(404, "The requested artifact was not found."), FakeDbtCloudTarget.Manifest);

        var outcome = await Decide(services);

        Assert.Contains("manifest.json of run 70001 step 5: 404", Assert.IsType<LineageOutcome.NoArtifacts>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_ArtifactsNotSaved_NoArtifactsWithoutAskingForThem()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        dbt.AddRun(AcmeProject.Scenario("full-build") with { ArtifactsSaved = false });

        var outcome = await Decide(services);

        Assert.IsType<LineageOutcome.NoArtifacts>(outcome);
        Assert.Equal([FakeDbtCloudTarget.Run], dbt.Calls.Select(c => c.Target));
    }

    [Fact]
    public async Task DecideAsync_UnknownRun_PermanentPointingAtTheBaseUrl()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await services.GetRequiredService<ExposureRouter>().DecideAsync(Account, "123", 10, Token, Ct);

        Assert.Contains("DbtCloud:BaseUrl", Assert.IsType<LineageOutcome.Permanent>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_429WithoutRetries_TransientWithStatus()
    {
        var (dbt, services) = await Start(("DbtCloud:MaxRetryAttempts", "0"));
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.TooManyRequests(TimeSpan.FromSeconds(7)), FakeDbtCloudTarget.Run);

        var outcome = await Decide(services);

        var reason = Assert.IsType<LineageOutcome.Transient>(outcome).Reason;
        Assert.Contains("dbt Cloud answered 429 for run 70001 (Retry-After 7 s)", reason, StringComparison.Ordinal);
        Assert.Single(dbt.Calls);
    }

    [Fact]
    public async Task DecideAsync_One429_IsRetriedAndDecides()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.TooManyRequests(), FakeDbtCloudTarget.Run);

        var outcome = await Decide(services);

        Assert.IsType<LineageOutcome.Decided>(outcome);
        Assert.Equal([429, 200], dbt.Calls.Where(c => c.Target == FakeDbtCloudTarget.Run).Select(c => c.StatusCode));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task DecideAsync_5xxPastTheRetries_Transient(int status)
    {
        var (dbt, services) = await Start(("DbtCloud:MaxRetryAttempts", "2"));
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.Status(status, "upstream trouble"), FakeDbtCloudTarget.RunResults, times: 50);

        var outcome = await Decide(services);

        Assert.Contains($"dbt Cloud answered {status}", Assert.IsType<LineageOutcome.Transient>(outcome).Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(dbt.Calls, c => c.Target == FakeDbtCloudTarget.Manifest);
    }

    [Fact]
    public async Task DecideAsync_One500OnTheManifest_IsRetriedAndDecides()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.ServerError, FakeDbtCloudTarget.Manifest);

        var outcome = await Decide(services);

        Assert.IsType<LineageOutcome.Decided>(outcome);
        Assert.Equal([500, 200], dbt.Calls.Where(c => c.Target == FakeDbtCloudTarget.Manifest).Select(c => c.StatusCode));
    }

    [Fact]
    public async Task DecideAsync_SlowAnswer_TransientAfterTheTimeouts()
    {
        var (dbt, services) = await Start(
            ("DbtCloud:AttemptTimeout", "00:00:00.200"), ("DbtCloud:RequestTimeout", "00:00:00.600"), ("DbtCloud:MaxRetryAttempts", "1"));
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.Slow(TimeSpan.FromSeconds(5)), FakeDbtCloudTarget.Run, times: 5);

        var outcome = await Decide(services);

        Assert.Contains("did not answer", Assert.IsType<LineageOutcome.Transient>(outcome).Reason, StringComparison.Ordinal);
        Assert.Equal(2, dbt.Calls.Count); // the first attempt and one retry, each cut by the attempt timeout
    }

    [Fact]
    public async Task DecideAsync_HangingAnswer_Transient()
    {
        var (dbt, services) = await Start(
            ("DbtCloud:AttemptTimeout", "00:00:00.200"), ("DbtCloud:RequestTimeout", "00:00:00.500"), ("DbtCloud:MaxRetryAttempts", "0"));
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.Hang, FakeDbtCloudTarget.RunResults);

        var outcome = await Decide(services);

        Assert.IsType<LineageOutcome.Transient>(outcome);
    }

    [Fact]
    public async Task DecideAsync_ManifestBodyStalls_TransientNamingDownloadTimeout()
    {
        var (dbt, services) = await Start(("DbtCloud:DownloadTimeout", "00:00:00.300"));
        await using var _ = dbt;
        await using var __ = services;
        dbt.Enqueue(FakeDbtCloudResponse.SlowBody(TimeSpan.FromSeconds(10)), FakeDbtCloudTarget.Manifest);

        var outcome = await Decide(services);

        Assert.Contains("DbtCloud:DownloadTimeout", Assert.IsType<LineageOutcome.Transient>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_ManifestOverTheLimit_PermanentNamingTheSetting()
    {
        var (dbt, services) = await Start(("DbtCloud:MaxManifestBytes", "4096"));
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await Decide(services);

        Assert.Contains("is larger than 4096 bytes (DbtCloud:MaxManifestBytes)", Assert.IsType<LineageOutcome.Permanent>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideAsync_UnparsableManifest_PermanentWithTheReason()
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;
        var broken = FakeArtifact.FromBytes("{\"nodes\": {\"model.p.a\": {\"depends_on\": {\"nodes\": \"oops\"}}}}"u8.ToArray());
        var run = AcmeProject.Scenario("full-build");
        dbt.AddRun(run with { Steps = [.. run.Steps.Select(s => s.Manifest is null ? s : s with { Manifest = broken })] });

        var outcome = await Decide(services);

        var reason = Assert.IsType<LineageOutcome.Permanent>(outcome).Reason;
        Assert.Contains("manifest.json of run 70001 step 5: manifest.json cannot be read: $.nodes.*.depends_on.nodes is not an array", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    public async Task DecideAsync_TokenNotShapedLikeOne_PermanentWithoutACall(string token)
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await Decide(services, token: token);

        Assert.Contains("'DBT_CLOUD_API_TOKEN' (DbtCloud:TokenSecretName) is empty or holds white space", Assert.IsType<LineageOutcome.Permanent>(outcome).Reason, StringComparison.Ordinal);
        Assert.Empty(dbt.Calls);
    }

    [Theory]
    [InlineData("43786/../1")]
    [InlineData("abc")]
    public async Task DecideAsync_AccountIdNotDigits_PermanentWithoutACall(string account)
    {
        var (dbt, services) = await Start();
        await using var _ = dbt;
        await using var __ = services;

        var outcome = await Decide(services, account: account);

        Assert.Contains("the account id is not a dbt Cloud id", Assert.IsType<LineageOutcome.Permanent>(outcome).Reason, StringComparison.Ordinal);
        Assert.Empty(dbt.Calls);
    }
}
