using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace ModeRefresh.TestSupport;

/// <summary>
/// Hand-built descriptors for the part of <c>dapr.proto.runtime.v1.Dapr</c> the services use.
/// Dapr.Protos ships only the client stub, so the server side is described here rather than by copying .proto files.
/// </summary>
internal static class StandInMethods
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    public static readonly Method<PublishEventRequest, Empty> PublishEvent = Unary("PublishEvent", PublishEventRequest.Parser, Empty.Parser);
    public static readonly Method<BulkPublishRequest, BulkPublishResponse> BulkPublishEvent =
        Unary("BulkPublishEvent", BulkPublishRequest.Parser, BulkPublishResponse.Parser);
    public static readonly Method<BulkPublishRequest, BulkPublishResponse> BulkPublishEventAlpha1 =
        Unary("BulkPublishEventAlpha1", BulkPublishRequest.Parser, BulkPublishResponse.Parser);
    public static readonly Method<GetSecretRequest, GetSecretResponse> GetSecret = Unary("GetSecret", GetSecretRequest.Parser, GetSecretResponse.Parser);
    public static readonly Method<GetBulkSecretRequest, GetBulkSecretResponse> GetBulkSecret = Unary("GetBulkSecret", GetBulkSecretRequest.Parser, GetBulkSecretResponse.Parser);
    public static readonly Method<GetStateRequest, GetStateResponse> GetState = Unary("GetState", GetStateRequest.Parser, GetStateResponse.Parser);
    public static readonly Method<GetBulkStateRequest, GetBulkStateResponse> GetBulkState = Unary("GetBulkState", GetBulkStateRequest.Parser, GetBulkStateResponse.Parser);
    public static readonly Method<SaveStateRequest, Empty> SaveState = Unary("SaveState", SaveStateRequest.Parser, Empty.Parser);
    public static readonly Method<DeleteStateRequest, Empty> DeleteState = Unary("DeleteState", DeleteStateRequest.Parser, Empty.Parser);
    public static readonly Method<ExecuteStateTransactionRequest, Empty> ExecuteStateTransaction =
        Unary("ExecuteStateTransaction", ExecuteStateTransactionRequest.Parser, Empty.Parser);

    public static readonly Method<InvokeBindingRequest, InvokeBindingResponse> InvokeBinding =
        Unary("InvokeBinding", InvokeBindingRequest.Parser, InvokeBindingResponse.Parser);

    // Declared after the descriptors: static initialisers run in text order.
    private static readonly HashSet<string> Names = new(
        [PublishEvent.Name, BulkPublishEvent.Name, BulkPublishEventAlpha1.Name, GetSecret.Name, GetBulkSecret.Name, GetState.Name, GetBulkState.Name, SaveState.Name, DeleteState.Name, ExecuteStateTransaction.Name, InvokeBinding.Name],
        StringComparer.Ordinal);

    /// <summary>Catches a typo in a fault's method name, which would otherwise make the fault silently never fire.</summary>
    public static void EnsureKnown(string method)
    {
        if (!Names.Contains(method) && !StandInJobMethods.Names.Contains(method))
        {
            throw new ArgumentException($"The stand-in does not serve '{method}'. Served: {string.Join(", ", Names.Concat(StandInJobMethods.Names).Order())}.", nameof(method));
        }
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(
        string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name,
            Marshallers.Create(m => m.ToByteArray(), requestParser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), responseParser.ParseFrom));
}

/// <summary>
/// Binds the descriptors to <see cref="StandInDaprService"/>, and wraps every handler in the part daprd does for
/// every call: record it, check the API token, then apply any fault the test arranged.
/// </summary>
internal sealed class StandInMethodProvider : IServiceMethodProvider<StandInDaprService>
{
    private const string ApiTokenHeader = "dapr-api-token";
    // Wide enough for a loaded machine (the end-to-end suite runs service processes beside this one): a call that
    // reaches the server late starts the server's copy of the deadline late by the same amount.
    private static readonly TimeSpan DeadlineSlack = TimeSpan.FromSeconds(1);

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<StandInDaprService> context)
    {
        Bind(context, StandInMethods.PublishEvent, (s, r) => s.PublishEvent(r));
        Bind(context, StandInMethods.BulkPublishEvent, (s, r) => s.BulkPublishEvent(r));
        Bind(context, StandInMethods.BulkPublishEventAlpha1, (s, r) => s.BulkPublishEvent(r));
        Bind(context, StandInMethods.GetSecret, (s, r) => s.GetSecret(r));
        Bind(context, StandInMethods.GetBulkSecret, (s, r) => s.GetBulkSecret(r));
        Bind(context, StandInMethods.GetState, (s, r, ct) => s.GetStateAsync(r, ct));
        Bind(context, StandInMethods.GetBulkState, (s, r, ct) => s.GetBulkStateAsync(r, ct));
        Bind(context, StandInMethods.SaveState, (s, r, ct) => s.SaveStateAsync(r, ct));
        Bind(context, StandInMethods.DeleteState, (s, r, ct) => s.DeleteStateAsync(r, ct));
        Bind(context, StandInMethods.ExecuteStateTransaction, (s, r, ct) => s.ExecuteStateTransactionAsync(r, ct));
        Bind(context, StandInMethods.InvokeBinding, (s, r) => s.InvokeBinding(r));
    }

    private static void Bind<TRequest, TResponse>(
        ServiceMethodProviderContext<StandInDaprService> context,
        Method<TRequest, TResponse> method,
        Func<StandInDaprService, TRequest, TResponse> handler)
        where TRequest : class, IMessage
        where TResponse : class =>
        Bind(context, method, (service, request, _) => Task.FromResult(handler(service, request)));

    private static void Bind<TRequest, TResponse>(
        ServiceMethodProviderContext<StandInDaprService> context,
        Method<TRequest, TResponse> method,
        Func<StandInDaprService, TRequest, CancellationToken, Task<TResponse>> handler)
        where TRequest : class, IMessage
        where TResponse : class =>
        context.AddUnaryMethod(method, metadata: [], (service, request, call) =>
            ServeAsync(service.Sidecar, method.Name, request, call, () => handler(service, request, service.Sidecar.StoppingToken)));

    internal static async Task<TResponse> ServeAsync<TResponse>(
        StandInSidecar sidecar, string method, IMessage request, ServerCallContext call, Func<Task<TResponse>> handler)
    {
        var token = call.RequestHeaders.GetValue(ApiTokenHeader);
        var index = sidecar.Recorder.Arrive(method, request, token);
        // Anything other than an RpcException reaches the client as Unknown, so that is what gets recorded.
        var outcome = StatusCode.Unknown;
        try
        {
            Authorize(sidecar.ExpectedApiToken, token);
            if (sidecar.Faults.Take(method) is { } fault)
            {
                await InjectAsync(fault, call, sidecar.StoppingToken);
            }

            var response = await handler();
            outcome = StatusCode.OK;
            return response;
        }
        catch (RpcException ex)
        {
            outcome = ex.StatusCode;
            throw;
        }
        finally
        {
            sidecar.Recorder.Complete(index, outcome);
        }
    }

    // Same codes and wording as daprd's API token check.
    private static void Authorize(string? expected, string? actual)
    {
        if (expected is null || string.Equals(expected, actual, StringComparison.Ordinal))
        {
            return;
        }

        var message = actual is null ? "missing api token in request metadata" : "authentication error: api token mismatch";
        throw new RpcException(new Status(StatusCode.Unauthenticated, message));
    }

    /// <summary>
    /// The client enforces its deadline too, and its reset can arrive a moment before the server's own copy of the
    /// deadline (arrival + grpc-timeout) passes; a reset that close to the deadline is the deadline, not a cancel.
    /// Wall clock on purpose: gRPC deadlines do not run on the test's TimeProvider.
    /// </summary>
    private static bool DeadlineReached(ServerCallContext call) =>
        call.Deadline != DateTime.MaxValue && DateTime.UtcNow >= call.Deadline - DeadlineSlack;

    private static async Task InjectAsync(Fault fault, ServerCallContext call, CancellationToken stopping)
    {
        if (!fault.Hang && fault.Delay <= TimeSpan.Zero && fault.Until is null)
        {
            throw new RpcException(new Status(fault.Status, "stand-in sidecar: injected fault"));
        }

        // A hang waits for ever; a delay is a slow answer. Either way the caller's deadline or cancellation ends it.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken, stopping);
        try
        {
            await (fault.Until is { } until ? until.WaitAsync(ended.Token)
                : Task.Delay(fault.Hang ? Timeout.InfiniteTimeSpan : fault.Delay, ended.Token));
        }
        catch (OperationCanceledException)
        {
            var status = stopping.IsCancellationRequested ? StatusCode.Unavailable
                : DeadlineReached(call) ? StatusCode.DeadlineExceeded
                : StatusCode.Cancelled;
            throw new RpcException(new Status(status, "stand-in sidecar: delayed or hung call ended"));
        }
    }
}
