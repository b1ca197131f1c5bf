using System.Buffers;
using System.Text.Json;

namespace ModeRefresh.Lineage.Artifacts;

/// <summary>
/// Reads a dbt manifest.json (schema v12, and the older shapes with the same fields) from a stream without holding
/// it: it keeps, for models, seeds and snapshots, the unique id, resource type, <c>config.materialized</c> and
/// <c>depends_on.nodes</c>; for sources the unique id; for exposures also name, type, url, <c>config.enabled</c> and
/// the <c>mode</c> entry of <c>meta</c> and <c>config.meta</c>. Tests, analyses, operations, macros, docs, the
/// <c>disabled</c> section and the parent/child maps are tokenized and dropped.
/// </summary>
public static class ManifestReader
{
    /// <summary>Largest single JSON value (one compiled SQL string, say) the reader will buffer.</summary>
    public const int DefaultMaxValueBytes = 64 * 1024 * 1024;

    /// <summary>Reads the manifest; <see cref="ManifestFormatException"/> when it is not one.</summary>
    public static async Task<ManifestGraph> ReadAsync(Stream stream, CancellationToken ct = default)
    {
        var parser = new ManifestParser(DefaultMaxValueBytes);
        await parser.RunAsync(stream, ct);
        return parser.Build();
    }

    /// <summary>Reads a manifest file, streaming it from disk.</summary>
    public static async Task<ManifestGraph> ReadFileAsync(string path, CancellationToken ct = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return await ReadAsync(file, ct);
    }
}

/// <summary>The token-driven state machine behind <see cref="ManifestReader"/>.</summary>
internal sealed class ManifestParser(int maxValueBytes) : StreamingJsonParser(maxValueBytes)
{
    /// <summary>Largest <c>meta.mode.parameters</c> object kept; Mode parameters are a handful of values.</summary>
    internal const int MaxParametersBytes = 64 * 1024;

    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<DbtResourceType> _types = [];
    private readonly List<string?> _materialized = [];
    private readonly List<int[]> _parents = [];
    private readonly List<DbtExposure> _exposures = [];
    private readonly List<int> _deps = [];
    private readonly Frame[] _stack = new Frame[16];
    private int _top = -1;
    private Prop _prop;
    private bool _sawNodes;
    private string? _schemaVersion;
    private string? _projectName;

    // The node being read.
    private int _node = -1;
    private DbtResourceType? _nodeType;
    private string? _nodeMaterialized;

    // The exposure being read.
    private string? _exposureId;
    private string? _exposureName;
    private string? _exposureType;
    private string? _exposureUrl;
    private bool _exposureEnabled;
    private ModeMeta? _exposureMeta;
    private ModeMeta? _exposureConfigMeta;
    private string? _exposureProblem;
    private int[] _exposureDeps = [];

    // The meta.mode entry being read.
    private string? _modeWorkspace;
    private string? _modeReport;
    private string? _modeParameters;
    private string? _modeMinInterval;
    private string? _modeProblem;

    // Capture of meta.mode.parameters, re-written token by token (the object may span buffer refills).
    private ArrayBufferWriter<byte>? _captured;
    private Utf8JsonWriter? _captureWriter;
    private int _captureDepth;
    private bool _captureOverflow;

    private enum Frame : byte
    {
        Root,
        Metadata,
        Nodes,
        Node,
        NodeConfig,
        DependsOn,
        DependsOnNodes,
        Sources,
        Exposures,
        Exposure,
        ExposureConfig,
        Meta,
        Mode,
    }

    private enum Prop : byte
    {
        None,
        Metadata,
        Nodes,
        Sources,
        Exposures,
        SchemaVersion,
        ProjectName,
        Entry,
        ResourceType,
        Config,
        DependsOn,
        Materialized,
        DependsOnNodes,
        Name,
        Type,
        Url,
        Meta,
        Enabled,
        Mode,
        Workspace,
        Report,
        Parameters,
        MinInterval,
    }

    public Task RunAsync(Stream stream, CancellationToken ct) => ParseAsync(stream, ct);

    public ManifestGraph Build()
    {
        var parents = new int[_parents.Count][];
        _parents.CopyTo(parents);
        return new ManifestGraph(
            _schemaVersion, _projectName, _index, [.. _ids], [.. _types], [.. _materialized], parents, _exposures.ToArray());
    }

    protected override DbtArtifactFormatException Error(string reason, long? position) => new ManifestFormatException(reason, position);

    protected override void OnDocumentEnd()
    {
        // Reached only for complete, valid JSON; the root object's end already checked its content.
    }

    protected override void OnToken(ref Utf8JsonReader reader)
    {
        if (_captureWriter is not null)
        {
            Capture(ref reader);
            return;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                OnPropertyName(ref reader);
                break;
            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                OnEnd();
                break;
            default:
                OnValue(ref reader);
                break;
        }
    }

    private void OnPropertyName(ref Utf8JsonReader reader)
    {
        _prop = _stack[_top] switch
        {
            Frame.Root => reader.ValueTextEquals("metadata"u8) ? Prop.Metadata
                : reader.ValueTextEquals("nodes"u8) ? Prop.Nodes
                : reader.ValueTextEquals("sources"u8) ? Prop.Sources
                : reader.ValueTextEquals("exposures"u8) ? Prop.Exposures
                : Prop.None, // macros, docs, disabled, parent_map, child_map, ...: not needed
            Frame.Metadata => reader.ValueTextEquals("dbt_schema_version"u8) ? Prop.SchemaVersion
                : reader.ValueTextEquals("project_name"u8) ? Prop.ProjectName
                : Prop.None,
            Frame.Nodes => BeginNode(ref reader),
            Frame.Node => reader.ValueTextEquals("resource_type"u8) ? Prop.ResourceType
                : reader.ValueTextEquals("config"u8) ? Prop.Config
                : reader.ValueTextEquals("depends_on"u8) && _nodeType is null or DbtResourceType.Model or DbtResourceType.Seed or DbtResourceType.Snapshot ? Prop.DependsOn
                : Prop.None,
            Frame.NodeConfig => reader.ValueTextEquals("materialized"u8) ? Prop.Materialized : Prop.None,
            Frame.DependsOn => reader.ValueTextEquals("nodes"u8) ? Prop.DependsOnNodes : Prop.None,
            Frame.Sources => RegisterSource(ref reader),
            Frame.Exposures => BeginExposure(ref reader),
            Frame.Exposure => reader.ValueTextEquals("name"u8) ? Prop.Name
                : reader.ValueTextEquals("type"u8) ? Prop.Type
                : reader.ValueTextEquals("url"u8) ? Prop.Url
                : reader.ValueTextEquals("meta"u8) ? Prop.Meta
                : reader.ValueTextEquals("config"u8) ? Prop.Config
                : reader.ValueTextEquals("depends_on"u8) ? Prop.DependsOn
                : Prop.None,
            Frame.ExposureConfig => reader.ValueTextEquals("enabled"u8) ? Prop.Enabled
                : reader.ValueTextEquals("meta"u8) ? Prop.Meta
                : Prop.None,
            Frame.Meta => reader.ValueTextEquals("mode"u8) ? Prop.Mode : Prop.None,
            Frame.Mode => reader.ValueTextEquals("workspace"u8) ? Prop.Workspace
                : reader.ValueTextEquals("report"u8) ? Prop.Report
                : reader.ValueTextEquals("parameters"u8) ? Prop.Parameters
                : reader.ValueTextEquals("min_interval"u8) ? Prop.MinInterval
                : Prop.None,
            _ => Prop.None,
        };

        if (_prop == Prop.None)
        {
            SkipNextValue();
        }
    }

    private void OnValue(ref Utf8JsonReader reader)
    {
        var type = reader.TokenType;
        if (_top < 0)
        {
            if (type != JsonTokenType.StartObject)
            {
                throw Error("the top level is not a JSON object", Position);
            }

            Push(Frame.Root);
            return;
        }

        var prop = _prop;
        _prop = Prop.None;
        switch (_stack[_top])
        {
            case Frame.Root:
                if (prop == Prop.Metadata)
                {
                    PushOrSkip(ref reader, Frame.Metadata);
                }
                else
                {
                    RequireObjectOrNull(ref reader, prop switch { Prop.Nodes => "$.nodes", Prop.Sources => "$.sources", _ => "$.exposures" });
                    if (type == JsonTokenType.StartObject)
                    {
                        _sawNodes |= prop == Prop.Nodes;
                        Push(prop switch { Prop.Nodes => Frame.Nodes, Prop.Sources => Frame.Sources, _ => Frame.Exposures });
                    }
                }

                break;
            case Frame.Metadata:
                if (type == JsonTokenType.String)
                {
                    var text = ReadString(ref reader);
                    if (prop == Prop.SchemaVersion) _schemaVersion = text; else _projectName = text;
                }
                else
                {
                    SkipIfContainer(ref reader);
                }

                break;
            case Frame.Nodes:
                if (type != JsonTokenType.StartObject)
                {
                    throw Error("an entry of $.nodes is not an object", Position);
                }

                Push(Frame.Node);
                break;
            case Frame.Node:
                OnNodeValue(ref reader, prop);
                break;
            case Frame.NodeConfig:
                _nodeMaterialized = type switch
                {
                    JsonTokenType.String => Materialization(ref reader),
                    JsonTokenType.Null => null,
                    _ => throw Error("$.nodes.*.config.materialized is not a string", Position),
                };
                break;
            case Frame.DependsOn:
                if (type == JsonTokenType.StartArray)
                {
                    _deps.Clear();
                    Push(Frame.DependsOnNodes);
                }
                else if (type != JsonTokenType.Null)
                {
                    throw Error($"{Owner()}.depends_on.nodes is not an array", Position);
                }

                break;
            case Frame.DependsOnNodes:
                if (type != JsonTokenType.String)
                {
                    throw Error($"{Owner()}.depends_on.nodes holds a value that is not a string", Position);
                }

                _deps.Add(Intern(ref reader));
                break;
            case Frame.Exposures:
                if (type != JsonTokenType.StartObject)
                {
                    throw Error("an entry of $.exposures is not an object", Position);
                }

                Push(Frame.Exposure);
                break;
            case Frame.Exposure:
                OnExposureValue(ref reader, prop);
                break;
            case Frame.ExposureConfig:
                if (prop == Prop.Enabled)
                {
                    if (type is JsonTokenType.True or JsonTokenType.False)
                    {
                        _exposureEnabled = type == JsonTokenType.True;
                    }
                    else
                    {
                        _exposureProblem ??= "config.enabled is not true or false";
                        SkipIfContainer(ref reader);
                    }
                }
                else
                {
                    PushOrNote(ref reader, Frame.Meta, "config.meta is not an object");
                }

                break;
            case Frame.Meta:
                if (type == JsonTokenType.StartObject)
                {
                    _modeWorkspace = _modeReport = _modeParameters = _modeMinInterval = _modeProblem = null;
                    Push(Frame.Mode);
                }
                else if (type != JsonTokenType.Null)
                {
                    SetMode(new ModeMeta(null, null, null, null, $"{MetaName()}.mode is not an object"));
                    SkipIfContainer(ref reader);
                }

                break;
            case Frame.Mode:
                OnModeValue(ref reader, prop);
                break;
        }
    }

    private void OnNodeValue(ref Utf8JsonReader reader, Prop prop)
    {
        var type = reader.TokenType;
        if (prop == Prop.ResourceType)
        {
            if (type != JsonTokenType.String)
            {
                throw Error("$.nodes.*.resource_type is not a string", Position);
            }

            _nodeType = reader.ValueTextEquals("model"u8) ? DbtResourceType.Model
                : reader.ValueTextEquals("seed"u8) ? DbtResourceType.Seed
                : reader.ValueTextEquals("snapshot"u8) ? DbtResourceType.Snapshot
                : DbtResourceType.Other;
            return;
        }

        RequireObjectOrNull(ref reader, prop == Prop.Config ? "$.nodes.*.config" : "$.nodes.*.depends_on");
        if (type == JsonTokenType.StartObject)
        {
            Push(prop == Prop.Config ? Frame.NodeConfig : Frame.DependsOn);
        }
    }

    private void OnExposureValue(ref Utf8JsonReader reader, Prop prop)
    {
        var type = reader.TokenType;
        switch (prop)
        {
            case Prop.Name or Prop.Type or Prop.Url:
                if (type == JsonTokenType.String)
                {
                    var text = ReadString(ref reader);
                    if (prop == Prop.Name) _exposureName = text;
                    else if (prop == Prop.Type) _exposureType = text;
                    else _exposureUrl = text;
                }
                else if (type != JsonTokenType.Null)
                {
                    _exposureProblem ??= prop switch { Prop.Name => "name", Prop.Type => "type", _ => "url" } + " is not a string";
                    SkipIfContainer(ref reader);
                }

                break;
            case Prop.Meta:
                PushOrNote(ref reader, Frame.Meta, "meta is not an object");
                break;
            case Prop.Config:
                PushOrNote(ref reader, Frame.ExposureConfig, "config is not an object");
                break;
            default: // depends_on: structural, as for nodes
                RequireObjectOrNull(ref reader, "$.exposures.*.depends_on");
                if (type == JsonTokenType.StartObject)
                {
                    Push(Frame.DependsOn);
                }

                break;
        }
    }

    private void OnModeValue(ref Utf8JsonReader reader, Prop prop)
    {
        var type = reader.TokenType;
        switch (prop)
        {
            case Prop.Workspace or Prop.Report:
                if (type == JsonTokenType.String)
                {
                    if (prop == Prop.Workspace) _modeWorkspace = ReadString(ref reader); else _modeReport = ReadString(ref reader);
                }
                else if (type != JsonTokenType.Null)
                {
                    _modeProblem ??= $"{MetaName()}.mode.{(prop == Prop.Workspace ? "workspace" : "report")} is not a string";
                    SkipIfContainer(ref reader);
                }

                break;
            case Prop.Parameters:
                if (type == JsonTokenType.StartObject)
                {
                    _captured = new ArrayBufferWriter<byte>(256);
                    _captureWriter = new Utf8JsonWriter(_captured);
                    _captureDepth = reader.CurrentDepth;
                    _captureOverflow = false;
                    _captureWriter.WriteStartObject();
                }
                else if (type != JsonTokenType.Null)
                {
                    _modeProblem ??= $"{MetaName()}.mode.parameters is not an object";
                    SkipIfContainer(ref reader);
                }

                break;
            default: // min_interval: kept as written, read by issue 14
                if (type == JsonTokenType.String)
                {
                    _modeMinInterval = ReadString(ref reader);
                }
                else if (type == JsonTokenType.Number)
                {
                    _modeMinInterval = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                }
                else if (type != JsonTokenType.Null)
                {
                    _modeProblem ??= $"{MetaName()}.mode.min_interval is not a string or a number";
                    SkipIfContainer(ref reader);
                }

                break;
        }
    }

    private void OnEnd()
    {
        switch (_stack[_top])
        {
            case Frame.Root:
                if (_schemaVersion is not null && !_schemaVersion.Contains("/manifest/", StringComparison.Ordinal))
                {
                    throw Error("metadata.dbt_schema_version does not name a manifest schema (is this another artifact?)", null);
                }

                if (!_sawNodes)
                {
                    throw Error("there is no nodes object at the top level (is this a manifest.json?)", null);
                }

                break;
            case Frame.Node:
                _types[_node] = _nodeType ?? DbtResourceType.Other;
                _materialized[_node] = _nodeMaterialized;
                break;
            case Frame.DependsOnNodes:
                var deps = _deps.ToArray();
                if (_stack[_top - 2] == Frame.Node)
                {
                    _parents[_node] = deps;
                }
                else
                {
                    _exposureDeps = deps;
                }

                break;
            case Frame.Exposure:
                EndExposure();
                break;
            case Frame.Mode:
                SetMode(new ModeMeta(_modeWorkspace, _modeReport, _modeParameters, _modeMinInterval, _modeProblem));
                break;
        }

        _top--;
        _prop = Prop.None;
    }

    private Prop BeginNode(ref Utf8JsonReader reader)
    {
        // The unique id starts with the resource type: tests, analyses, operations and unit tests change no data
        // (a failing test shows as "skipped" on the models after it), so their entries are skipped unread.
        var key = reader.ValueSpan;
        if (key.StartsWith("test."u8) || key.StartsWith("analysis."u8) || key.StartsWith("operation."u8)
            || key.StartsWith("sql_operation."u8) || key.StartsWith("unit_test."u8))
        {
            return Prop.None;
        }

        _node = Intern(ref reader);
        _nodeType = null;
        _nodeMaterialized = null;
        _parents[_node] = [];
        return Prop.Entry;
    }

    private Prop RegisterSource(ref Utf8JsonReader reader)
    {
        var source = Intern(ref reader);
        _types[source] = DbtResourceType.Source;
        return Prop.None; // nothing else of a source matters: it never passes data through
    }

    private Prop BeginExposure(ref Utf8JsonReader reader)
    {
        _exposureId = ReadString(ref reader);
        _exposureName = _exposureType = _exposureUrl = _exposureProblem = null;
        _exposureMeta = _exposureConfigMeta = null;
        _exposureEnabled = true;
        _exposureDeps = [];
        return Prop.Entry;
    }

    private void EndExposure()
    {
        var id = _exposureId!;
        var deps = _exposureDeps;
        _exposures.Add(new DbtExposure(
            id,
            _exposureName ?? id[(id.LastIndexOf('.') + 1)..],
            _exposureType,
            _exposureUrl,
            _exposureEnabled,
            _exposureMeta,
            _exposureConfigMeta,
            Array.ConvertAll(deps, d => _ids[d]))
        {
            Problem = _exposureProblem,
            DependsOnIndexes = deps,
        });
    }

    private void SetMode(ModeMeta mode)
    {
        // Mode sits in Meta, whose parent is the exposure itself (meta) or its config (config.meta).
        var configMeta = _stack[_top] == Frame.Mode ? _stack[_top - 2] == Frame.ExposureConfig : _stack[_top - 1] == Frame.ExposureConfig;
        if (configMeta) _exposureConfigMeta = mode; else _exposureMeta = mode;
    }

    private string MetaName()
    {
        var meta = Array.LastIndexOf(_stack, Frame.Meta, _top);
        return meta > 0 && _stack[meta - 1] == Frame.ExposureConfig ? "config.meta" : "meta";
    }

    private string Owner() => _stack[_top - 1] == Frame.Node || (_top >= 2 && _stack[_top - 2] == Frame.Node) ? "$.nodes.*" : "$.exposures.*";

    private void Capture(ref Utf8JsonReader reader)
    {
        var writer = _captureWriter!;
        var type = reader.TokenType;
        if (type == JsonTokenType.EndObject && reader.CurrentDepth == _captureDepth)
        {
            if (_captureOverflow)
            {
                // Writing stopped part-way, so the writer's nesting no longer matches: keep nothing of it.
                _modeProblem ??= $"{MetaName()}.mode.parameters is larger than {MaxParametersBytes / 1024} KiB";
            }
            else
            {
                writer.WriteEndObject();
                writer.Flush();
                _modeParameters = System.Text.Encoding.UTF8.GetString(_captured!.WrittenSpan);
            }

            writer.Dispose();
            _captureWriter = null;
            _captured = null;
            return;
        }

        if (_captureOverflow)
        {
            return;
        }

        switch (type)
        {
            case JsonTokenType.StartObject: writer.WriteStartObject(); break;
            case JsonTokenType.EndObject: writer.WriteEndObject(); break;
            case JsonTokenType.StartArray: writer.WriteStartArray(); break;
            case JsonTokenType.EndArray: writer.WriteEndArray(); break;
            case JsonTokenType.PropertyName: writer.WritePropertyName(ReadString(ref reader)); break;
            case JsonTokenType.String: writer.WriteStringValue(ReadString(ref reader)); break;
            case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
            case JsonTokenType.True: writer.WriteBooleanValue(true); break;
            case JsonTokenType.False: writer.WriteBooleanValue(false); break;
            case JsonTokenType.Null: writer.WriteNullValue(); break;
        }

        if (writer.BytesPending + writer.BytesCommitted > MaxParametersBytes)
        {
            _captureOverflow = true;
        }
    }

    private void Push(Frame frame)
    {
        if (_top + 1 == _stack.Length)
        {
            throw Error("nested deeper than a manifest is", Position);
        }

        _stack[++_top] = frame;
    }

    private void PushOrSkip(ref Utf8JsonReader reader, Frame frame)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            Push(frame);
        }
        else
        {
            SkipIfContainer(ref reader);
        }
    }

    /// <summary>For an exposure's optional objects: a wrong type makes that exposure unusable, not the manifest.</summary>
    private void PushOrNote(ref Utf8JsonReader reader, Frame frame, string problem)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            Push(frame);
        }
        else if (reader.TokenType != JsonTokenType.Null)
        {
            _exposureProblem ??= problem;
            SkipIfContainer(ref reader);
        }
    }

    private void RequireObjectOrNull(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null))
        {
            throw Error($"{path} is not an object", Position);
        }
    }

    private void SkipIfContainer(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            SkipCurrentContainer(ref reader);
        }
    }

    private static string? Materialization(ref Utf8JsonReader reader) =>
        // The few common values as shared strings: 20,000 models need not each hold their own "view".
        reader.ValueTextEquals("view"u8) ? "view"
        : reader.ValueTextEquals("table"u8) ? "table"
        : reader.ValueTextEquals("incremental"u8) ? "incremental"
        : reader.ValueTextEquals("ephemeral"u8) ? "ephemeral"
        : reader.ValueTextEquals("materialized_view"u8) ? "materialized_view"
        : reader.ValueTextEquals("seed"u8) ? "seed"
        : reader.ValueTextEquals("snapshot"u8) ? "snapshot"
        : reader.GetString();

    private string ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Error("a string is not valid UTF-8 text", Position);
        }
    }

    /// <summary>The node number for the id at the reader (a string or a property name), adding it when new.</summary>
    private int Intern(ref Utf8JsonReader reader)
    {
        var length = reader.ValueSpan.Length; // UTF-16 never needs more chars than UTF-8 has bytes
        char[]? rented = null;
        var chars = length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            int written;
            try
            {
                written = reader.CopyString(chars);
            }
            catch (InvalidOperationException)
            {
                throw Error("a string is not valid UTF-8 text", Position);
            }

            var key = chars[..written];
            var lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var id = key.ToString();
            var index = _ids.Count;
            _index.Add(id, index);
            _ids.Add(id);
            _types.Add(DbtResourceType.Missing);
            _materialized.Add(null);
            _parents.Add([]);
            return index;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
