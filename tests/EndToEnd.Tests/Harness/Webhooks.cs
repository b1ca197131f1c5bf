using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ModeRefresh.EndToEnd.Tests.Harness;

/// <summary>dbt Cloud webhook bodies (the shape of dbt's documented example) and their signatures.</summary>
internal static class Webhooks
{
    public static JsonObject Payload(
        string eventId, string jobId, string runId, string eventType = "job.run.completed",
        string runStatus = "Success", int runStatusCode = 10) => new()
        {
            ["accountId"] = 1,
            ["webhooksID"] = "wsu_12345abcde",
            ["eventId"] = eventId,
            ["timestamp"] = "2023-01-31T21:15:20.419714619Z",
            ["eventType"] = eventType,
            ["webhookName"] = "e2e",
            ["data"] = new JsonObject
            {
                ["jobId"] = jobId,
                ["jobName"] = "Daily Job (dbt build)",
                ["runId"] = runId,
                ["environmentId"] = "1234",
                ["environmentName"] = "Production",
                ["dbtVersion"] = "1.7.0",
                ["projectName"] = "Analytics",
                ["projectId"] = "167194",
                ["runStatus"] = runStatus,
                ["runStatusCode"] = runStatusCode,
                ["runStatusMessage"] = "None",
                ["runReason"] = "Kicked off from UI by test@example.com",
                ["runStartedAt"] = "2023-01-31T21:14:41Z",
                ["runFinishedAt"] = "2023-01-31T21:15:20Z",
            },
        };

    public static string Completed(string eventId, string jobId, string runId) => Payload(eventId, jobId, runId).ToJsonString();

    public static string Sign(string body, string key = EndToEndSystem.WebhookKey) => Sign(Encoding.UTF8.GetBytes(body), key);

    public static string Sign(byte[] body, string key = EndToEndSystem.WebhookKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body));
}
