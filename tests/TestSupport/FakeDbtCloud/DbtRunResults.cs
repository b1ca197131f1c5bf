using System.Text.Json;

namespace ModeRefresh.TestSupport;

/// <summary>One result to write into a run_results.json: a node and its status as dbt spells it ("success", "partial success", ...).</summary>
public sealed record DbtResult(string UniqueId, string Status);

/// <summary>
/// Writes run_results.json as dbt 1.10 does (run-results schema v6: every result with the fields the schema
/// requires, <c>args.which</c> naming the command). Test equipment.
/// </summary>
public static class DbtRunResults
{
    public static byte[] Bytes(string command, IEnumerable<DbtResult> results, int compiledCodePadding = 0)
    {
        using var buffer = new MemoryStream();
        Write(buffer, command, results, compiledCodePadding);
        return buffer.ToArray();
    }

    /// <summary>Every id with the same status, e.g. <c>Bytes("build", "success", ids)</c>.</summary>
    public static byte[] Bytes(string command, string status, params IEnumerable<string> uniqueIds) =>
        Bytes(command, uniqueIds.Select(id => new DbtResult(id, status)));

    public static void WriteFile(string path, string command, IEnumerable<DbtResult> results, int compiledCodePadding = 0)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(file, command, results, compiledCodePadding);
    }

    public static void Write(Stream stream, string command, IEnumerable<DbtResult> results, int compiledCodePadding = 0)
    {
        var code = compiledCodePadding > 0 ? "select 1 -- " + new string('x', compiledCodePadding) : "select 1";
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        w.WriteString("dbt_schema_version", "https://schemas.getdbt.com/dbt/run-results/v6.json");
        w.WriteString("dbt_version", "1.10.11");
        w.WriteString("generated_at", "2026-11-30T06:02:11.402915Z");
        w.WriteString("invocation_id", "5c1f0a4e-7d7b-4b53-9a51-1f2e3d4c5b6a");
        w.WriteStartObject("env");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartArray("results");
        foreach (var result in results)
        {
            var isTest = result.UniqueId.StartsWith("test.", StringComparison.Ordinal);
            w.WriteStartObject();
            w.WriteString("status", result.Status);
            w.WriteStartArray("timing");
            w.WriteStartObject();
            w.WriteString("name", "execute");
            w.WriteString("started_at", "2026-11-30T06:01:02.000000Z");
            w.WriteString("completed_at", "2026-11-30T06:01:05.000000Z");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("thread_id", "Thread-1");
            w.WriteNumber("execution_time", 3.0);
            w.WriteStartObject("adapter_response");
            w.WriteEndObject();
            w.WriteString("message", result.Status switch
            {
                "success" => "SUCCESS 1",
                "error" => "Database Error in model (compiled code)",
                "skipped" => null,
                _ => result.Status.ToUpperInvariant(),
            });
            if (isTest) w.WriteNumber("failures", result.Status == "fail" ? 1 : 0); else w.WriteNull("failures");
            w.WriteString("unique_id", result.UniqueId);
            w.WriteBoolean("compiled", result.Status != "skipped");
            w.WriteString("compiled_code", result.Status == "skipped" ? null : code);
            w.WriteString("relation_name", (string?)null);
            w.WriteEndObject();
            if (w.BytesPending > 1 << 16) w.Flush();
        }

        w.WriteEndArray();
        w.WriteNumber("elapsed_time", 42.0);
        w.WriteStartObject("args");
        w.WriteString("which", command);
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
    }
}
