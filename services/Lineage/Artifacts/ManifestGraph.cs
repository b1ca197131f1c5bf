namespace ModeRefresh.Lineage.Artifacts;

/// <summary>The kinds of manifest node the rule tells apart; everything else is <see cref="Other"/>.</summary>
public enum DbtResourceType : byte
{
    /// <summary>Named in a <c>depends_on</c> but not in the manifest's <c>nodes</c> or <c>sources</c> (disabled, or another project's).</summary>
    Missing = 0,
    Model,
    Seed,
    Snapshot,
    Source,

    /// <summary>Any other node kind (analysis, function, ...): never passes data through.</summary>
    Other,
}

/// <summary>A node of the graph as the rule needs it: its kind, its materialization and its parents.</summary>
public sealed record DbtNode(string UniqueId, DbtResourceType ResourceType, string? Materialized, IReadOnlyList<string> DependsOn)
{
    /// <summary>A view or an ephemeral model holds no data of its own: when it did not run, its data is its parents'.</summary>
    public bool PassesThrough => ResourceType == DbtResourceType.Model && Materialized is "view" or "ephemeral";
}

/// <summary>
/// The <c>mode</c> entry of an exposure's <c>meta</c> or <c>config.meta</c>. <see cref="Problem"/> is set instead
/// of a value whose type is wrong (for example a number as the workspace), so the exposure can be reported as
/// ignored with that reason rather than fail the whole manifest.
/// </summary>
/// <param name="Workspace">Mode workspace (the name in <c>app.mode.com/{workspace}</c>).</param>
/// <param name="Report">Mode report token.</param>
/// <param name="ParametersJson">The <c>parameters</c> object as JSON text, or null when absent.</param>
/// <param name="MinInterval">The <c>min_interval</c> value as written (text, or a number's digits), for issue 14.</param>
/// <param name="Problem">Why this entry cannot be used, or null.</param>
public sealed record ModeMeta(string? Workspace, string? Report, string? ParametersJson, string? MinInterval, string? Problem);

/// <summary>An exposure: the dbt declaration of a dashboard, notebook or other downstream use.</summary>
/// <param name="UniqueId">e.g. <c>exposure.acme_analytics.weekly_revenue</c>.</param>
/// <param name="Name">The exposure's <c>name</c> (the unique id's last part when absent).</param>
/// <param name="Type">dashboard, notebook, analysis, ml or application.</param>
/// <param name="Url">Its <c>url</c>, or null.</param>
/// <param name="Enabled"><c>config.enabled</c> (true when absent).</param>
/// <param name="Meta">The <c>meta.mode</c> entry, or null.</param>
/// <param name="ConfigMeta">The <c>config.meta.mode</c> entry, or null; preferred over <see cref="Meta"/> (dbt 1.10+ writes both).</param>
/// <param name="DependsOn">Its <c>depends_on.nodes</c>.</param>
public sealed record DbtExposure(
    string UniqueId,
    string Name,
    string? Type,
    string? Url,
    bool Enabled,
    ModeMeta? Meta,
    ModeMeta? ConfigMeta,
    IReadOnlyList<string> DependsOn)
{
    /// <summary>Why this declaration cannot be used (a field of the wrong type), or null.</summary>
    public string? Problem { get; init; }

    internal int[] DependsOnIndexes { get; init; } = [];
}

/// <summary>
/// What <see cref="ManifestReader"/> kept of a manifest.json: the models, seeds, snapshots and sources with their
/// parents, and the enabled-or-not exposures. Nodes are numbered so the rule can walk arrays, not dictionaries.
/// </summary>
public sealed class ManifestGraph
{
    private readonly Dictionary<string, int> _index;
    private readonly string[] _ids;
    private readonly DbtResourceType[] _types;
    private readonly string?[] _materialized;
    private readonly int[][] _parents;

    internal ManifestGraph(
        string? schemaVersion,
        string? projectName,
        Dictionary<string, int> index,
        string[] ids,
        DbtResourceType[] types,
        string?[] materialized,
        int[][] parents,
        IReadOnlyList<DbtExposure> exposures)
    {
        SchemaVersion = schemaVersion;
        ProjectName = projectName;
        _index = index;
        _ids = ids;
        _types = types;
        _materialized = materialized;
        _parents = parents;
        Exposures = exposures;
    }

    /// <summary><c>metadata.dbt_schema_version</c>, e.g. <c>https://schemas.getdbt.com/dbt/manifest/v12.json</c>.</summary>
    public string? SchemaVersion { get; }

    /// <summary><c>metadata.project_name</c>, when the manifest has it.</summary>
    public string? ProjectName { get; }

    /// <summary>Models, seeds, snapshots and sources kept (plus ids only named in a <c>depends_on</c>).</summary>
    public int NodeCount => _ids.Length;

    /// <summary>Every exposure of the manifest's <c>exposures</c> section, in file order (the <c>disabled</c> section is not read).</summary>
    public IReadOnlyList<DbtExposure> Exposures { get; }

    /// <summary>The node with this unique id, or null when the manifest has none (a missing parent is <see cref="DbtResourceType.Missing"/>).</summary>
    public DbtNode? FindNode(string uniqueId)
    {
        ArgumentNullException.ThrowIfNull(uniqueId);
        return _index.TryGetValue(uniqueId, out var i)
            ? new DbtNode(_ids[i], _types[i], _materialized[i], Array.ConvertAll(_parents[i], p => _ids[p]))
            : null;
    }

    internal bool TryGetIndex(string uniqueId, out int index) => _index.TryGetValue(uniqueId, out index);

    internal string IdAt(int index) => _ids[index];

    internal int[] ParentsAt(int index) => _parents[index];

    internal bool PassesThroughAt(int index) =>
        _types[index] == DbtResourceType.Model && _materialized[index] is "view" or "ephemeral";
}
