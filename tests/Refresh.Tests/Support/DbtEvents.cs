using System.Text.Json.Nodes;

namespace ModeRefresh.Refresh.Tests.Support;

/// <summary>dbt run events as Ingress publishes them (the contract's camelCase shape), and daprd's envelope.</summary>
internal static class DbtEvents
{
    public static JsonObject Completed(
        string eventId = "wev_1", string jobId = "123", string runId = "12345",
        string eventType = "job.run.completed", string runStatus = "Success", int runStatusCode = 10,
        string environmentId = "1234", string environmentName = "Production") => new()
        {
            ["eventId"] = eventId,
            ["eventType"] = eventType,
            ["webhookId"] = "wsu_12345abcde",
            ["webhookName"] = "test",
            ["accountId"] = "1",
            ["timestamp"] = "2023-01-31T19:29:35.789265936Z",
            ["data"] = new JsonObject
            {
                ["jobId"] = jobId,
                ["jobName"] = "Daily Job (dbt build)",
                ["runId"] = runId,
                ["environmentId"] = environmentId,
                ["environmentName"] = environmentName,
                ["projectId"] = "167194",
                ["runStatus"] = runStatus,
                ["runStatusCode"] = runStatusCode,
                ["runStatusMessage"] = "None",
                ["runStartedAt"] = "2023-01-31T19:28:07Z",
                ["runFinishedAt"] = "2023-01-31T19:29:32Z",
            },
        };

    /// <summary>A structured-mode CloudEvent as daprd delivers it; <paramref name="data"/> null leaves data out.</summary>
    public static string Envelope(JsonNode? data, string id, string topic = "dbt-job-run-completed", bool omitData = false)
    {
        var envelope = new JsonObject
        {
            ["id"] = id,
            ["source"] = "ingress",
            ["type"] = "com.dapr.event.sent",
            ["specversion"] = "1.0",
            ["datacontenttype"] = "application/json",
            ["topic"] = topic,
            ["pubsubname"] = "pubsub",
            ["traceid"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        };
        if (!omitData)
        {
            envelope["data"] = data?.DeepClone();
        }

        return envelope.ToJsonString();
    }
}
