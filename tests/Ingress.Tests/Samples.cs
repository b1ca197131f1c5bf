using System.Security.Cryptography;
using System.Text;

namespace ModeRefresh.Ingress.Tests;

/// <summary>dbt-shaped payloads (see dbt's "Webhooks for your jobs") and a signer for them.</summary>
internal static class Samples
{
    public static string CompletedSuccess(string eventId, string jobId = "123", string runId = "12345",
        string eventType = "job.run.completed", string status = "Success", int statusCode = 10) =>
        $$$"""{"accountId":1,"webhookId":"wsu_12345abcde","eventId":"{{{eventId}}}","timestamp":"2023-01-31T19:29:35.789265936Z","eventType":"{{{eventType}}}","webhookName":"test","data":{"jobId":"{{{jobId}}}","jobName":"Daily Job (dbt build)","runId":"{{{runId}}}","environmentId":"1234","environmentName":"Production","dbtVersion":"1.0.0","projectName":"Snowflake Github Demo","projectId":"167194","runStatus":"{{{status}}}","runStatusCode":{{{statusCode}}},"runStatusMessage":"None","runReason":"Kicked off from the UI by test@test.com","runStartedAt":"2023-01-31T19:28:07Z","runFinishedAt":"2023-01-31T19:29:32Z"}}""";

    public static string Sign(string body, string key) => Sign(Encoding.UTF8.GetBytes(body), key);

    public static string Sign(byte[] body, string key) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body));
}
