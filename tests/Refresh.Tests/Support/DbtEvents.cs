using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Support;

/// <summary>dbt run events as Ingress publishes them (the contract's camelCase shape), and daprd's envelope.</summary>
internal static class DbtEvents
{
    public static JsonObject Completed(
        string eventId = "wev_1", string jobId = "123", string runId = "12345",
        string eventType = "job.run.completed", string runStatus = "Success", int runStatusCode = 10,
        string environmentId = "1234", string environmentName = "Production")
    {
        var evt = DbtPayloads.Completed(eventId, jobId, runId, eventType, runStatus, runStatusCode, environmentId, environmentName);
        evt["accountId"] = "1"; // Ingress publishes every id as a string (DbtRunEvent)
        return evt;
    }

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
