using System.Text.Json.Serialization;
using ModeRefresh.Ingress.Health;
using ModeRefresh.Ingress.Webhooks;

namespace ModeRefresh.Ingress;

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookAccepted))]
[JsonSerializable(typeof(WebhookError))]
[JsonSerializable(typeof(Readiness))]
[JsonSerializable(typeof(string))]
internal sealed partial class IngressJsonContext : JsonSerializerContext;
