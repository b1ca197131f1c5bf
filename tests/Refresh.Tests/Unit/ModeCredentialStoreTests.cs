using Dapr.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModeRefresh.Refresh.Mode;
using ModeRefresh.ServiceDefaults;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Unit;

public sealed class ModeCredentialStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private StandInSidecar _sidecar = null!;
    private DaprClient _dapr = null!;

    public async ValueTask InitializeAsync()
    {
        _sidecar = await StandInSidecar.StartAsync();
        _sidecar.SetSecret("secretstore", "MODE_API_TOKEN", "t1");
        _sidecar.SetSecret("secretstore", "MODE_API_SECRET", "s1");
        _dapr = new DaprClientBuilder().UseGrpcEndpoint(_sidecar.GrpcEndpoint).UseHttpEndpoint(_sidecar.HttpEndpoint).Build();
    }

    public async ValueTask DisposeAsync()
    {
        _dapr.Dispose();
        await _sidecar.DisposeAsync();
    }

    private ModeCredentialStore Store() => new(
        _dapr, Options.Create(new ModeOptions()), Options.Create(new DaprOptions()), _time, NullLogger<ModeCredentialStore>.Instance);

    private int SecretReads => _sidecar.Calls.Count(c => c.Method == "GetSecret");

    [Fact]
    public async Task RenewAfterUnauthorized_RotatedInStore_ReturnsNewCredentials()
    {
        var store = Store();
        var first = await store.GetAsync(TestContext.Current.CancellationToken);
        _sidecar.SetSecret("secretstore", "MODE_API_SECRET", "s2");

        var renewed = await store.RenewAfterUnauthorizedAsync(first, TestContext.Current.CancellationToken);

        Assert.NotNull(renewed);
        Assert.Equal(RefreshBasic("t1", "s2"), renewed.Header.ToString());
        Assert.Same(renewed, await store.GetAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RenewAfterUnauthorized_Unchanged_NullAndNoRereadWithin30Seconds()
    {
        var store = Store();
        var first = await store.GetAsync(TestContext.Current.CancellationToken);
        Assert.Null(await store.RenewAfterUnauthorizedAsync(first, TestContext.Current.CancellationToken));
        var reads = SecretReads;

        _sidecar.SetSecret("secretstore", "MODE_API_SECRET", "s2");
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(await store.RenewAfterUnauthorizedAsync(first, TestContext.Current.CancellationToken));
        Assert.Equal(reads, SecretReads);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(await store.RenewAfterUnauthorizedAsync(first, TestContext.Current.CancellationToken));
        Assert.Equal(reads + 2, SecretReads);
    }

    [Fact]
    public async Task RenewAfterUnauthorized_AlreadyRotatedByAnotherCall_ReturnsCurrentWithoutReading()
    {
        var store = Store();
        var first = await store.GetAsync(TestContext.Current.CancellationToken);
        _sidecar.SetSecret("secretstore", "MODE_API_TOKEN", "t2");
        var second = await store.RenewAfterUnauthorizedAsync(first, TestContext.Current.CancellationToken);
        var reads = SecretReads;

        var again = await store.RenewAfterUnauthorizedAsync(first, TestContext.Current.CancellationToken);

        Assert.Same(second, again);
        Assert.Equal(reads, SecretReads);
    }

    [Fact]
    public async Task GetAsync_SecretMissing_ThrowsWithoutSecretValues()
    {
        _sidecar.RemoveSecret("secretstore", "MODE_API_SECRET");

        var ex = await Assert.ThrowsAsync<ModeCredentialsUnavailableException>(() => Store().GetAsync(TestContext.Current.CancellationToken));

        Assert.Contains("MODE_API_SECRET", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t1", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_KubernetesStyleSecretWithOtherKey_UsesItsOnlyValue()
    {
        _sidecar.SetSecret("secretstore", "MODE_API_TOKEN", new Dictionary<string, string> { ["token"] = "k8s-token" });

        var credential = await Store().GetAsync(TestContext.Current.CancellationToken);

        Assert.Equal(RefreshBasic("k8s-token", "s1"), credential.Header.ToString());
        Assert.Equal("ModeCredential(***)", credential.ToString());
    }

    private static string RefreshBasic(string token, string secret) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{token}:{secret}"));
}
