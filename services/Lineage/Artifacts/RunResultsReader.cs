using System.Text.Json;

namespace ModeRefresh.Lineage.Artifacts;

/// <summary>
/// Reads a dbt run_results.json (schema v6 and older shapes with the same fields) from a stream, keeping
/// <c>unique_id</c> and <c>status</c> per result and <c>args.which</c>; compiled SQL, timings and adapter responses
/// are tokenized and dropped.
/// </summary>
public static class RunResultsReader
{
    /// <summary>Reads the file; <see cref="RunResultsFormatException"/> when it is not a run_results.json.</summary>
    public static async Task<RunResultsArtifact> ReadAsync(Stream stream, CancellationToken ct = default)
    {
        var parser = new RunResultsParser(ManifestReader.DefaultMaxValueBytes);
        await parser.RunAsync(stream, ct);
        return parser.Build();
    }

    /// <summary>Reads a run_results file, streaming it from disk.</summary>
    public static async Task<RunResultsArtifact> ReadFileAsync(string path, CancellationToken ct = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return await ReadAsync(file, ct);
    }
}

internal sealed class RunResultsParser(int maxValueBytes) : StreamingJsonParser(maxValueBytes)
{
    private readonly List<NodeResult> _results = [];
    private readonly Frame[] _stack = new Frame[8];
    private int _top = -1;
    private Prop _prop;
    private bool _sawResults;
    private string? _schemaVersion;
    private string? _command;
    private string? _uniqueId;
    private NodeRunStatus? _status;

    private enum Frame : byte
    {
        Root,
        Metadata,
        Results,
        Result,
        Args,
    }

    private enum Prop : byte
    {
        None,
        Metadata,
        Results,
        Args,
        SchemaVersion,
        UniqueId,
        Status,
        Which,
    }

    public Task RunAsync(Stream stream, CancellationToken ct) => ParseAsync(stream, ct);

    public RunResultsArtifact Build() => new(_command, _schemaVersion, _results.ToArray());

    protected override DbtArtifactFormatException Error(string reason, long? position) => new RunResultsFormatException(reason, position);

    protected override void OnDocumentEnd()
    {
    }

    protected override void OnToken(ref Utf8JsonReader reader)
    {
        var type = reader.TokenType;
        if (type == JsonTokenType.PropertyName)
        {
            _prop = _stack[_top] switch
            {
                Frame.Root => reader.ValueTextEquals("metadata"u8) ? Prop.Metadata
                    : reader.ValueTextEquals("results"u8) ? Prop.Results
                    : reader.ValueTextEquals("args"u8) ? Prop.Args
                    : Prop.None,
                Frame.Metadata => reader.ValueTextEquals("dbt_schema_version"u8) ? Prop.SchemaVersion : Prop.None,
                Frame.Result => reader.ValueTextEquals("unique_id"u8) ? Prop.UniqueId
                    : reader.ValueTextEquals("status"u8) ? Prop.Status
                    : Prop.None,
                Frame.Args => reader.ValueTextEquals("which"u8) ? Prop.Which : Prop.None,
                _ => Prop.None,
            };
            if (_prop == Prop.None)
            {
                SkipNextValue();
            }

            return;
        }

        if (type is JsonTokenType.EndObject or JsonTokenType.EndArray)
        {
            OnEnd();
            return;
        }

        if (_top < 0)
        {
            if (type != JsonTokenType.StartObject)
            {
                throw Error("the top level is not a JSON object", Position);
            }

            _stack[++_top] = Frame.Root;
            return;
        }

        var prop = _prop;
        _prop = Prop.None;
        switch (_stack[_top])
        {
            case Frame.Root:
                if (prop == Prop.Results)
                {
                    if (type != JsonTokenType.StartArray)
                    {
                        throw Error("$.results is not an array", Position);
                    }

                    _sawResults = true;
                    _stack[++_top] = Frame.Results;
                }
                else if (type == JsonTokenType.StartObject)
                {
                    _stack[++_top] = prop == Prop.Metadata ? Frame.Metadata : Frame.Args;
                }
                else if (type == JsonTokenType.StartArray)
                {
                    SkipCurrentContainer(ref reader);
                }

                break;
            case Frame.Results:
                if (type != JsonTokenType.StartObject)
                {
                    throw Error("an entry of $.results is not an object", Position);
                }

                _uniqueId = null;
                _status = null;
                _stack[++_top] = Frame.Result;
                break;
            case Frame.Result:
                if (type != JsonTokenType.String)
                {
                    throw Error($"$.results[{_results.Count}].{(prop == Prop.UniqueId ? "unique_id" : "status")} is not a string", Position);
                }

                if (prop == Prop.UniqueId)
                {
                    _uniqueId = ReadString(ref reader);
                }
                else
                {
                    _status = reader.ValueTextEquals("success"u8) ? NodeRunStatus.Success
                        : reader.ValueTextEquals("error"u8) ? NodeRunStatus.Error
                        : reader.ValueTextEquals("skipped"u8) ? NodeRunStatus.Skipped
                        : reader.ValueTextEquals("partial success"u8) ? NodeRunStatus.PartialSuccess
                        : reader.ValueTextEquals("no-op"u8) ? NodeRunStatus.NoOp
                        : reader.ValueTextEquals("pass"u8) ? NodeRunStatus.Pass
                        : reader.ValueTextEquals("fail"u8) ? NodeRunStatus.Fail
                        : reader.ValueTextEquals("warn"u8) ? NodeRunStatus.Warn
                        : reader.ValueTextEquals("runtime error"u8) ? NodeRunStatus.RuntimeError
                        : NodeRunStatus.Other;
                }

                break;
            default: // Metadata.dbt_schema_version, Args.which
                if (type == JsonTokenType.String)
                {
                    if (prop == Prop.SchemaVersion) _schemaVersion = ReadString(ref reader); else _command = ReadString(ref reader);
                }
                else if (type is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    SkipCurrentContainer(ref reader);
                }

                break;
        }
    }

    private void OnEnd()
    {
        switch (_stack[_top])
        {
            case Frame.Root:
                if (_schemaVersion is not null && !_schemaVersion.Contains("/run-results/", StringComparison.Ordinal))
                {
                    throw Error("metadata.dbt_schema_version does not name a run-results schema (is this another artifact?)", null);
                }

                if (!_sawResults)
                {
                    throw Error("there is no results array at the top level (is this a run_results.json?)", null);
                }

                break;
            case Frame.Result:
                if (_uniqueId is null || _status is null)
                {
                    throw Error($"$.results[{_results.Count}] has no {(_uniqueId is null ? "unique_id" : "status")}", Position);
                }

                _results.Add(new NodeResult(_uniqueId, _status.Value));
                break;
        }

        _top--;
        _prop = Prop.None;
    }

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
}
