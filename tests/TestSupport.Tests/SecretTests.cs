using Dapr;
using Grpc.Core;

namespace ModeRefresh.TestSupport.Tests;

public sealed class SecretTests
{
    [Fact]
    public async Task GetSecretAsync_SetSecret_ReturnsNameToValueMap()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetSecret("localsecretstore", "mode-api-token", "tok-123");

        var secret = await dapr.GetSecretAsync("localsecretstore", "mode-api-token", cancellationToken: Sdk.Ct);

        Assert.Equal(new Dictionary<string, string> { ["mode-api-token"] = "tok-123" }, secret);
    }

    [Fact]
    public async Task GetSecretAsync_MultiValuedSecret_ReturnsAllKeys()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        var values = new Dictionary<string, string> { ["user"] = "u", ["password"] = "p" };
        sidecar.SetSecret("vault", "mode", values);

        Assert.Equal(values, await dapr.GetSecretAsync("vault", "mode", cancellationToken: Sdk.Ct));
    }

    [Fact]
    public async Task GetSecretAsync_MissingOrRemovedSecret_FailsInternal()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetSecret("localsecretstore", "gone", "x");
        sidecar.RemoveSecret("localsecretstore", "gone");

        var missing = await Assert.ThrowsAsync<DaprException>(() => dapr.GetSecretAsync("localsecretstore", "never-set", cancellationToken: Sdk.Ct));
        var removed = await Assert.ThrowsAsync<DaprException>(() => dapr.GetSecretAsync("localsecretstore", "gone", cancellationToken: Sdk.Ct));

        Assert.Equal(StatusCode.Internal, Sdk.StatusOf(missing));
        Assert.Equal(StatusCode.Internal, Sdk.StatusOf(removed));
    }

    [Fact]
    public async Task GetSecretAsync_UnknownStore_FailsInvalidArgument()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetSecret("localsecretstore", "a", "x");

        var ex = await Assert.ThrowsAsync<DaprException>(() => dapr.GetSecretAsync("no-such-store", "a", cancellationToken: Sdk.Ct));

        Assert.Equal(StatusCode.InvalidArgument, Sdk.StatusOf(ex));
        Assert.Equal(StatusCode.InvalidArgument, Assert.Single(sidecar.Calls).Outcome);
    }

    [Fact]
    public async Task GetBulkSecretAsync_TwoSecrets_ReturnsBoth()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.SetSecret("localsecretstore", "a", "1");
        sidecar.SetSecret("localsecretstore", "b", new Dictionary<string, string> { ["x"] = "2", ["y"] = "3" });
        sidecar.SetSecret("elsewhere", "c", "4");

        var all = await dapr.GetBulkSecretAsync("localsecretstore", cancellationToken: Sdk.Ct);

        Assert.Equal(["a", "b"], all.Keys.Order());
        Assert.Equal("1", all["a"]["a"]);
        Assert.Equal(("2", "3"), (all["b"]["x"], all["b"]["y"]));
    }

    [Fact]
    public async Task GetBulkSecretAsync_DeclaredEmptyStore_ReturnsEmpty()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        using var dapr = Sdk.ClientFor(sidecar);
        sidecar.AddSecretStore("empty");

        Assert.Empty(await dapr.GetBulkSecretAsync("empty", cancellationToken: Sdk.Ct));
        await Assert.ThrowsAsync<DaprException>(() => dapr.GetBulkSecretAsync("undeclared", cancellationToken: Sdk.Ct));
    }
}
