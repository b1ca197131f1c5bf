using Dapr;

namespace ModeRefresh.Refresh.Delivery;

/// <summary>
/// UseCloudEvents replaces the body with the envelope's <c>data</c>; asked to, it forwards envelope fields as
/// <c>Cloudevent.{name}</c> request headers. Only the id is needed.
/// </summary>
public static class CloudEventId
{
    private const string Header = "Cloudevent.id";

    public static CloudEventsMiddlewareOptions MiddlewareOptions => new()
    {
        ForwardCloudEventPropertiesAsHeaders = true,
        IncludedCloudEventPropertiesAsHeaders = ["id"],
    };

    public static string? Of(HttpRequest request) =>
        request.Headers.TryGetValue(Header, out var id) && !string.IsNullOrWhiteSpace(id) ? id.ToString() : null;
}
