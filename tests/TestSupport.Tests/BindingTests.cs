using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace ModeRefresh.TestSupport.Tests;

/// <summary>
/// Output bindings as daprd v1.18.0 answers them (pkg/api/grpc/grpc.go InvokeBinding,
/// pkg/runtime/processor/binding/send.go SendToOutputBinding), driven by the SDK.
/// </summary>
public sealed class BindingTests
{
    [Fact]
    public async Task InvokeBinding_DeclaredBindingAndOperation_RecordedWithDataAndMetadata()
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        sidecar.AddOutputBinding("alerts", "create", "post");
        using var client = Sdk.ClientFor(sidecar);

        await client.InvokeBindingAsync(new BindingRequest("alerts", "create")
        {
            Data = "{\"text\":\"hi\"}"u8.ToArray(),
            Metadata = { ["Content-Type"] = "application/json" },
        }, Sdk.Ct);

        var call = Assert.Single(sidecar.BindingCalls);
        Assert.Equal(("alerts", "create", "{\"text\":\"hi\"}", "application/json"),
            (call.Name, call.Operation, System.Text.Encoding.UTF8.GetString(call.Data), call.Metadata["Content-Type"]));
    }

    [Theory]
    [InlineData("nope", "create", "error invoking output binding nope: couldn't find output binding nope")]
    [InlineData("alerts", "delete", "error invoking output binding alerts: binding alerts does not support operation delete. supported operations:create post")]
    public async Task InvokeBinding_UnknownBindingOrOperation_InternalWithDaprdsText(string name, string operation, string message)
    {
        await using var sidecar = await StandInSidecar.StartAsync(Sdk.Ct);
        sidecar.AddOutputBinding("alerts", "create", "post");
        using var client = Sdk.ClientFor(sidecar);

        var ex = await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest(name, operation), Sdk.Ct));

        var rpc = Assert.IsType<RpcException>(ex.InnerException);
        Assert.Equal((StatusCode.Internal, message), (rpc.StatusCode, rpc.Status.Detail));
        Assert.Empty(sidecar.BindingCalls);
    }
}
