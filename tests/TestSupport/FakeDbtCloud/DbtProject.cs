using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>
/// A described dbt project that writes its own manifest.json (dbt manifest schema v12, as dbt 1.10 writes it:
/// every node with the fields the schema requires, parent and child maps, a <c>disabled</c> section) — test
/// equipment, so that tests and the benchmark need no copied artifacts. Each add method returns the node's unique
/// id for use in later <c>dependsOn</c> lists. Writing streams through <see cref="Utf8JsonWriter"/>, so a 100 MB
/// manifest is never held in memory.
/// </summary>
public sealed class DbtProject(string name = "acme_analytics")
{
    private readonly List<Node> _nodes = [];
    private readonly List<Node> _sources = [];
    private readonly List<ExposureEntry> _exposures = [];
    private readonly List<Node> _disabledNodes = [];
    private readonly List<ExposureEntry> _disabledExposures = [];

    public string Name { get; } = name;

    /// <summary>Bytes of SQL text written into each model's <c>raw_code</c> (and a column description), to reach realistic sizes.</summary>
    public int PaddingBytes { get; set; }

    public IReadOnlyList<string> NodeIds => [.. _nodes.Select(n => n.UniqueId)];

    public string Source(string sourceName, string table, string? package = null)
    {
        var node = new Node("source", $"{sourceName}.{table}", package ?? Name, null, null, [], SourceName: sourceName, Table: table);
        _sources.Add(node);
        return node.UniqueId;
    }

    /// <summary>A model (<paramref name="materialized"/>: view, table, incremental, ephemeral, ...); <paramref name="version"/> makes it versioned (<c>.vN</c>).</summary>
    public string Model(string model, string materialized, IReadOnlyList<string> dependsOn, string? package = null, int? version = null, bool enabled = true)
    {
        var node = new Node("model", model, package ?? Name, materialized, version, dependsOn);
        (enabled ? _nodes : _disabledNodes).Add(node);
        return node.UniqueId;
    }

    public string Seed(string seed, string? package = null)
    {
        var node = new Node("seed", seed, package ?? Name, "seed", null, []);
        _nodes.Add(node);
        return node.UniqueId;
    }

    public string Snapshot(string snapshot, IReadOnlyList<string> dependsOn, string? package = null)
    {
        var node = new Node("snapshot", snapshot, package ?? Name, "snapshot", null, dependsOn);
        _nodes.Add(node);
        return node.UniqueId;
    }

    /// <summary>A generic not_null test on <paramref name="model"/>.</summary>
    public string Test(string test, string model, string? package = null)
    {
        var node = new Node("test", test, package ?? Name, "test", null, [model]);
        _nodes.Add(node);
        return node.UniqueId;
    }

    /// <summary>
    /// An exposure. <paramref name="meta"/> goes to <c>meta</c>; <paramref name="configMeta"/> to <c>config.meta</c>
    /// (dbt 1.10+ writes the same object to both: pass it twice for that). A disabled exposure goes to the manifest's
    /// <c>disabled</c> section, where dbt puts it.
    /// </summary>
    public string Exposure(
        string exposure, string type, IReadOnlyList<string> dependsOn, string? url = null,
        JsonObject? meta = null, JsonObject? configMeta = null, bool enabled = true, string? package = null,
        bool disabledInExposures = false)
    {
        var e = new ExposureEntry(exposure, type, package ?? Name, url, meta, configMeta, enabled, dependsOn);
        if (enabled || disabledInExposures) _exposures.Add(e); else _disabledExposures.Add(e);
        return e.UniqueId;
    }

    public byte[] ManifestBytes()
    {
        using var buffer = new MemoryStream();
        WriteManifest(buffer);
        return buffer.ToArray();
    }

    public void WriteManifestFile(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        WriteManifest(file);
    }

    public void WriteManifest(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = false });
        var padding = PaddingBytes > 0 ? Pad(PaddingBytes) : null;
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        w.WriteString("dbt_schema_version", "https://schemas.getdbt.com/dbt/manifest/v12.json");
        w.WriteString("dbt_version", "1.10.11");
        w.WriteString("generated_at", "2026-11-30T06:02:11.402915Z");
        w.WriteString("invocation_id", "5c1f0a4e-7d7b-4b53-9a51-1f2e3d4c5b6a");
        w.WriteStartObject("env");
        w.WriteEndObject();
        w.WriteString("project_name", Name);
        w.WriteString("adapter_type", "snowflake");
        w.WriteEndObject();

        w.WriteStartObject("nodes");
        foreach (var node in _nodes)
        {
            w.WritePropertyName(node.UniqueId);
            WriteNode(w, node, padding);
            if (w.BytesPending > 1 << 16) w.Flush();
        }

        w.WriteEndObject();

        w.WriteStartObject("sources");
        foreach (var source in _sources)
        {
            w.WritePropertyName(source.UniqueId);
            WriteSource(w, source);
        }

        w.WriteEndObject();

        foreach (var section in new[] { "macros", "docs" })
        {
            w.WriteStartObject(section);
            w.WriteEndObject();
        }

        w.WriteStartObject("exposures");
        foreach (var exposure in _exposures)
        {
            w.WritePropertyName(exposure.UniqueId);
            WriteExposure(w, exposure);
            if (w.BytesPending > 1 << 16) w.Flush();
        }

        w.WriteEndObject();

        foreach (var section in new[] { "metrics", "groups", "selectors" })
        {
            w.WriteStartObject(section);
            w.WriteEndObject();
        }

        w.WriteStartObject("disabled");
        foreach (var node in _disabledNodes)
        {
            w.WriteStartArray(node.UniqueId);
            WriteNode(w, node, null, enabled: false);
            w.WriteEndArray();
        }

        foreach (var exposure in _disabledExposures)
        {
            w.WriteStartArray(exposure.UniqueId);
            WriteExposure(w, exposure);
            w.WriteEndArray();
        }

        w.WriteEndObject();

        WriteMaps(w);
        foreach (var section in new[] { "group_map", "saved_queries", "semantic_models", "unit_tests" })
        {
            w.WriteStartObject(section);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.Flush();
    }

    private void WriteMaps(Utf8JsonWriter w)
    {
        var parents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var id in _nodes.Select(n => n.UniqueId).Concat(_sources.Select(s => s.UniqueId)).Concat(_exposures.Select(e => e.UniqueId)))
        {
            parents[id] = [];
            children[id] = [];
        }

        foreach (var (id, deps) in _nodes.Select(n => (n.UniqueId, n.DependsOn)).Concat(_exposures.Select(e => (e.UniqueId, e.DependsOn))))
        {
            foreach (var dep in deps)
            {
                parents[id].Add(dep);
                if (children.TryGetValue(dep, out var list)) list.Add(id);
            }
        }

        foreach (var (section, map) in new[] { ("parent_map", parents), ("child_map", children) })
        {
            w.WriteStartObject(section);
            foreach (var (id, list) in map)
            {
                w.WriteStartArray(id);
                foreach (var item in list) w.WriteStringValue(item);
                w.WriteEndArray();
                if (w.BytesPending > 1 << 16) w.Flush();
            }

            w.WriteEndObject();
        }
    }

    private static void WriteNode(Utf8JsonWriter w, Node node, string? padding, bool enabled = true)
    {
        var alias = node.Version is { } v ? $"{node.Name}_v{v}" : node.Name;
        w.WriteStartObject();
        w.WriteString("database", "analytics");
        w.WriteString("schema", node.ResourceType == "test" ? "prod_dbt_test__audit" : "prod");
        w.WriteString("name", node.Name);
        w.WriteString("resource_type", node.ResourceType);
        w.WriteString("package_name", node.Package);
        var folder = node.ResourceType switch { "seed" => "seeds", "snapshot" => "snapshots", _ => "models" };
        w.WriteString("path", $"{node.Name}.{(node.ResourceType == "seed" ? "csv" : "sql")}");
        w.WriteString("original_file_path", node.ResourceType == "test" ? "models/schema.yml" : $"{folder}/{node.Name}.{(node.ResourceType == "seed" ? "csv" : "sql")}");
        w.WriteString("unique_id", node.UniqueId);
        w.WriteStartArray("fqn");
        w.WriteStringValue(node.Package);
        w.WriteStringValue(node.Name);
        if (node.Version is { } fv) w.WriteStringValue($"v{fv}");
        w.WriteEndArray();
        w.WriteString("alias", alias);
        w.WriteStartObject("checksum");
        w.WriteString("name", "sha256");
        w.WriteString("checksum", "907efeacc6d0d0d3162baa572ccf8002a094dcdbb37b7b71b6b8a36c6caa0c15");
        w.WriteEndObject();
        w.WriteStartObject("config");
        w.WriteBoolean("enabled", enabled);
        if (node.ResourceType == "test")
        {
            w.WriteString("severity", "ERROR");
        }
        else
        {
            w.WriteString("materialized", node.Materialized);
            w.WriteStartArray("tags");
            w.WriteEndArray();
            w.WriteStartObject("meta");
            w.WriteEndObject();
        }

        if (node.ResourceType == "snapshot")
        {
            w.WriteString("strategy", "timestamp");
            w.WriteString("unique_key", "id");
            w.WriteString("updated_at", "updated_at");
        }

        w.WriteEndObject();
        w.WriteStartObject("depends_on");
        w.WriteStartArray("macros");
        if (node.ResourceType == "test") w.WriteStringValue("macro.dbt.test_not_null");
        w.WriteEndArray();
        if (node.ResourceType != "seed") // a seed's depends_on has macros only (MacroDependsOn)
        {
            w.WriteStartArray("nodes");
            foreach (var dep in node.DependsOn) w.WriteStringValue(dep);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteNumber("created_at", 1764482400.0);
        if (node.ResourceType == "test")
        {
            w.WriteString("column_name", "id");
            w.WriteString("attached_node", node.DependsOn.Count > 0 ? node.DependsOn[0] : null);
            w.WriteEndObject();
            return;
        }

        w.WriteString("relation_name", $"\"analytics\".\"prod\".\"{alias}\"");
        w.WriteString("description", padding is null ? "" : "Padding for size. " + padding[..Math.Min(200, padding.Length)]);
        w.WriteStartObject("columns");
        if (padding is not null)
        {
            w.WriteStartObject("id");
            w.WriteString("name", "id");
            w.WriteString("description", padding);
            w.WriteStartObject("meta");
            w.WriteEndObject();
            w.WriteString("data_type", "number");
            w.WriteStartArray("constraints");
            w.WriteEndArray();
            w.WriteNull("quote");
            w.WriteStartArray("tags");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteStartObject("meta");
        w.WriteEndObject();
        w.WriteStartArray("tags");
        w.WriteEndArray();
        w.WriteStartObject("unrendered_config");
        w.WriteString("materialized", node.Materialized);
        w.WriteEndObject();
        if (node.ResourceType == "seed")
        {
            w.WriteString("root_path", "/usr/src/dbt");
            w.WriteEndObject();
            return;
        }

        w.WriteString("raw_code", padding is null ? "select 1" : "select 1 -- " + padding);
        w.WriteString("language", "sql");
        w.WriteStartArray("refs");
        foreach (var dep in node.DependsOn.Where(d => d.StartsWith("model.", StringComparison.Ordinal)))
        {
            var parts = dep.Split('.');
            w.WriteStartObject();
            w.WriteString("name", parts[2]);
            w.WriteString("package", (string?)null);
            if (parts.Length > 3) w.WriteString("version", parts[3][1..]); else w.WriteNull("version");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("sources");
        foreach (var dep in node.DependsOn.Where(d => d.StartsWith("source.", StringComparison.Ordinal)))
        {
            var parts = dep.Split('.');
            w.WriteStartArray();
            w.WriteStringValue(parts[2]);
            w.WriteStringValue(parts[3]);
            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteStartArray("metrics");
        w.WriteEndArray();
        if (node.ResourceType == "model")
        {
            w.WriteString("access", "protected");
            if (node.Version is { } version)
            {
                w.WriteNumber("version", version);
                w.WriteNumber("latest_version", version);
            }
            else
            {
                w.WriteNull("version");
                w.WriteNull("latest_version");
            }
        }

        w.WriteEndObject();
    }

    private static void WriteSource(Utf8JsonWriter w, Node source)
    {
        w.WriteStartObject();
        w.WriteString("database", "raw");
        w.WriteString("schema", source.SourceName);
        w.WriteString("name", source.Table);
        w.WriteString("resource_type", "source");
        w.WriteString("package_name", source.Package);
        w.WriteString("path", "models/staging/sources.yml");
        w.WriteString("original_file_path", "models/staging/sources.yml");
        w.WriteString("unique_id", source.UniqueId);
        w.WriteStartArray("fqn");
        w.WriteStringValue(source.Package);
        w.WriteStringValue(source.SourceName);
        w.WriteStringValue(source.Table);
        w.WriteEndArray();
        w.WriteString("source_name", source.SourceName);
        w.WriteString("source_description", "");
        w.WriteString("loader", "fivetran");
        w.WriteString("identifier", source.Table);
        w.WriteString("relation_name", $"\"raw\".\"{source.SourceName}\".\"{source.Table}\"");
        w.WriteEndObject();
    }

    private static void WriteExposure(Utf8JsonWriter w, ExposureEntry e)
    {
        w.WriteStartObject();
        w.WriteString("name", e.Name);
        w.WriteString("resource_type", "exposure");
        w.WriteString("package_name", e.Package);
        w.WriteString("path", "exposures.yml");
        w.WriteString("original_file_path", "models/exposures.yml");
        w.WriteString("unique_id", e.UniqueId);
        w.WriteStartArray("fqn");
        w.WriteStringValue(e.Package);
        w.WriteStringValue(e.Name);
        w.WriteEndArray();
        w.WriteString("type", e.Type);
        w.WriteStartObject("owner");
        w.WriteString("name", "Analytics");
        w.WriteString("email", "analytics@acme.example");
        w.WriteEndObject();
        w.WriteString("description", "");
        w.WriteNull("label");
        w.WriteString("maturity", "high");
        w.WritePropertyName("meta");
        (e.Meta ?? []).WriteTo(w);
        w.WriteStartArray("tags");
        w.WriteEndArray();
        w.WriteStartObject("config");
        w.WriteBoolean("enabled", e.Enabled);
        w.WritePropertyName("meta");
        (e.ConfigMeta ?? []).WriteTo(w);
        w.WriteEndObject();
        w.WriteStartObject("unrendered_config");
        w.WriteEndObject();
        w.WriteStartObject("depends_on");
        w.WriteStartArray("macros");
        w.WriteEndArray();
        w.WriteStartArray("nodes");
        foreach (var dep in e.DependsOn) w.WriteStringValue(dep);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("refs");
        w.WriteEndArray();
        w.WriteStartArray("sources");
        w.WriteEndArray();
        w.WriteStartArray("metrics");
        w.WriteEndArray();
        w.WriteNumber("created_at", 1764482400.0);
        if (e.Url is not null) w.WriteString("url", e.Url);
        w.WriteEndObject();
    }

    private static string Pad(int bytes)
    {
        const string Sql = "select o.order_id, o.customer_id, sum(p.amount) as amount from orders o join payments p using (order_id) group by 1, 2\n";
        var text = new System.Text.StringBuilder(bytes + Sql.Length);
        while (text.Length < bytes) text.Append(Sql);
        return text.ToString(0, bytes);
    }

    private sealed record Node(
        string ResourceType, string Name, string Package, string? Materialized, int? Version, IReadOnlyList<string> DependsOn,
        string? SourceName = null, string? Table = null)
    {
        public string UniqueId => Version is { } v ? $"{ResourceType}.{Package}.{Name}.v{v}" : $"{ResourceType}.{Package}.{Name}";
    }

    private sealed record ExposureEntry(
        string Name, string Type, string Package, string? Url, JsonObject? Meta, JsonObject? ConfigMeta, bool Enabled, IReadOnlyList<string> DependsOn)
    {
        public string UniqueId => $"exposure.{Package}.{Name}";
    }
}
