using System.Text.Json.Serialization;

namespace ModeRefresh.Refresh.Delivery;

/// <summary>
/// Dapr's pub/sub answer, always sent with HTTP 200: SUCCESS = done, RETRY = redeliver later,
/// DROP = give up (daprd forwards the event to the dead-letter topic).
/// </summary>
public sealed record TopicAnswer(string Status)
{
    public static readonly TopicAnswer Success = new("SUCCESS");
    public static readonly TopicAnswer Retry = new("RETRY");
    public static readonly TopicAnswer Drop = new("DROP");

    /// <summary>The answer to a delivery whose event came to <paramref name="outcome"/>: Done → SUCCESS, Failed → DROP, Retry → RETRY.</summary>
    public static TopicAnswer For(Outcome outcome) => outcome switch
    {
        Outcome.Done => Success,
        Outcome.Failed => Drop,
        _ => Retry,
    };
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TopicAnswer))]
internal sealed partial class SubscriptionJsonContext : JsonSerializerContext;
