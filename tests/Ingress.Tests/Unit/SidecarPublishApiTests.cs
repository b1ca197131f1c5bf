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
}
