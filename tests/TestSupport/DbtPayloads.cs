using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>
/// dbt Cloud job-run webhook bodies and their signatures, for every suite: the shape and values of dbt's documented
/// example ("Webhooks for your jobs"; the same as ../shared/dbt-cloud/job-run-completed-success.json), with the ids
/// and status a test needs. The signature is what dbt Cloud sends as <c>Authorization</c>: lowercase hex
/// HMAC-SHA256 of the exact body bytes, keyed with the webhook secret's UTF-8 bytes.
/// </summary>
public static class DbtPayloads
{
    /// <summary>A <c>job.run.completed</c> event (or <paramref name="eventType"/>), as dbt sends it: accountId a number, the other ids strings.</summary>
    public static JsonObject Completed(
        string eventId = "wev_1", string jobId = "123", string runId = "12345",
        string eventType = "job.run.completed", string runStatus = "Success", int runStatusCode = 10,
        string environmentId = "1234", string environmentName = "Production") => new()
        {
            ["accountId"] = 1,
            ["webhookId"] = "wsu_12345abcde",
            ["eventId"] = eventId,
            ["timestamp"] = "2023-01-31T19:29:35.789265936Z",
            ["eventType"] = eventType,
            ["webhookName"] = "test",
            ["data"] = new JsonObject
            {
                ["jobId"] = jobId,
                ["jobName"] = "Daily Job (dbt build)",
                ["runId"] = runId,
                ["environmentId"] = environmentId,
                ["environmentName"] = environmentName,
                ["dbtVersion"] = "1.0.0",
                ["projectName"] = "Snowflake Github Demo",
                ["projectId"] = "167194",
                ["runStatus"] = runStatus,
                ["runStatusCode"] = runStatusCode,
                ["runStatusMessage"] = "None",
                ["runReason"] = "Kicked off from the UI by test@test.com",
                ["runStartedAt"] = "2023-01-31T19:28:07Z",
                ["runFinishedAt"] = "2023-01-31T19:29:32Z",
            },
        };

    /// <summary><see cref="Completed"/> as the compact JSON text dbt sends (no white space, fields in dbt's order).</summary>
    public static string CompletedBody(
        string eventId = "wev_1", string jobId = "123", string runId = "12345",
        string eventType = "job.run.completed", string runStatus = "Success", int runStatusCode = 10) =>
        Completed(eventId, jobId, runId, eventType, runStatus, runStatusCode).ToJsonString();

    /// <summary>The <c>Authorization</c> value dbt Cloud would send for <paramref name="body"/> (its UTF-8 bytes).</summary>
    public static string Sign(string body, string key) => Sign(Encoding.UTF8.GetBytes(body), key);

    /// <summary>The <c>Authorization</c> value dbt Cloud would send for <paramref name="body"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> body, string key) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body));
}
