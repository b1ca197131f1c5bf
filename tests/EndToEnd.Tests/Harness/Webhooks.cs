using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>dbt Cloud webhook bodies and their signatures (<see cref="DbtPayloads"/>), signed with this system's key by default.</summary>
internal static class Webhooks
{
    public static JsonObject Payload(
        string eventId, string jobId, string runId, string eventType = "job.run.completed",
        string runStatus = "Success", int runStatusCode = 10) =>
        DbtPayloads.Completed(eventId, jobId, runId, eventType, runStatus, runStatusCode);

    public static string Completed(string eventId, string jobId, string runId) => DbtPayloads.CompletedBody(eventId, jobId, runId);

    public static string Sign(string body, string key = EndToEndSystem.WebhookKey) => DbtPayloads.Sign(body, key);

    public static string Sign(byte[] body, string key = EndToEndSystem.WebhookKey) => DbtPayloads.Sign(body, key);
}
