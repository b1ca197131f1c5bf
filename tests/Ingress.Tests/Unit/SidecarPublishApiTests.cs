using Microsoft.Extensions.Configuration;
using ModeRefresh.Ingress.Publishing;

namespace ModeRefresh.Ingress.Tests.Unit;

public sealed class SidecarPublishApiTests
{
    [Theory]
    [InlineData("unix:///tmp/dapr.sock")]
    [InlineData("127.0.0.1:50001")]
    [InlineData("")]
    public void Ctor_EndpointNotHttp_ThrowsNamingTheSetting(string endpoint)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new SidecarPublishApi(endpoint, apiToken: "t0ken-value"));

        Assert.Contains("DAPR_GRPC_ENDPOINT", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken-value", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:50001")]
    [InlineData("https://dapr.example:443")]
    public void Ctor_HttpEndpoint_Accepted(string endpoint)
    {
        using var api = new SidecarPublishApi(endpoint, apiToken: null);

        Assert.NotNull(api);
    }

    [Fact]
    public void FromConfiguration_OnlyGrpcPortAsDaprRunSetsIt_LocalhostAtThatPort()
    {
        using var api = SidecarPublishApi.FromConfiguration(Config(("DAPR_GRPC_PORT", "50123")));

        Assert.Equal(new Uri("http://localhost:50123"), api.Address);
    }

    [Fact]
    public void FromConfiguration_EndpointAndPort_EndpointWins()
    {
        using var api = SidecarPublishApi.FromConfiguration(Config(("DAPR_GRPC_PORT", "50123"), ("DAPR_GRPC_ENDPOINT", "http://sidecar.local:7001")));

        Assert.Equal(new Uri("http://sidecar.local:7001"), api.Address);
    }

    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
