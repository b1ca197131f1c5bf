using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ModeRefresh.Resources.Tests.Infrastructure;

/// <summary>What a YAML scalar is after YAML's type resolution (as Kubernetes and Go read it).</summary>
public enum ScalarKind
{
    String,
    Integer,
    Number,
    Boolean,
    Null,
}

/// <summary>A YAML node with the line it starts on, so every message can point at the file and line.</summary>
public abstract record YNode(int Line)
{
    public string? AsString() => this is YScalar s && s.Kind != ScalarKind.Null ? s.Value : null;

    public YNode? this[string key] => this is YMap map ? map.Get(key) : null;
}

public sealed record YScalar(int Line, string Value, ScalarKind Kind) : YNode(Line);

public sealed record YSeq(int Line, IReadOnlyList<YNode> Items) : YNode(Line);

public sealed record YMap(int Line, IReadOnlyList<KeyValuePair<string, YNode>> Entries) : YNode(Line)
{
    public YNode? Get(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key == key)
            {
                return entry.Value;
            }
        }

        return null;
    }

    public IEnumerable<string> Keys => Entries.Select(e => e.Key);
}

/// <summary>One YAML document of a file.</summary>
public sealed record YamlDocument(string File, int Index, YNode? Root);

public static partial class Yaml
{
    /// <summary>Loads every document of a YAML text. Throws <see cref="YamlException"/> when it does not parse.</summary>
    public static IReadOnlyList<YamlDocument> Load(string file, string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }

        var documents = new List<YamlDocument>();
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var root = stream.Documents[i].RootNode;
            documents.Add(new YamlDocument(file, i, IsEmpty(root) ? null : Convert(root)));
        }

        return documents;
    }

    public static IReadOnlyList<YamlDocument> LoadFile(string fullPath) =>
        Load(RepoPaths.Relative(fullPath), File.ReadAllText(fullPath));

    /// <summary>The single document of a file that must hold exactly one.</summary>
    public static YMap LoadSingleMap(string fullPath)
    {
        var documents = LoadFile(fullPath);
        Assert.True(documents.Count == 1, $"{RepoPaths.Relative(fullPath)}: expected one YAML document, found {documents.Count}");
        return Assert.IsType<YMap>(documents[0].Root);
    }

    private static bool IsEmpty(YamlNode node) =>
        node is YamlScalarNode { Value: null or "" } scalar && scalar.Style == ScalarStyle.Plain;

    private static YNode Convert(YamlNode node)
    {
        var line = (int)node.Start.Line;
        switch (node)
        {
            case YamlScalarNode scalar:
                return ConvertScalar(line, scalar);
            case YamlSequenceNode sequence:
                return new YSeq(line, sequence.Children.Select(Convert).ToList());
            case YamlMappingNode mapping:
                var entries = new List<KeyValuePair<string, YNode>>();
                var merged = new List<YMap>();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = key is YamlScalarNode k ? k.Value ?? string.Empty : key.ToString();
                    if (name == "<<" && key is YamlScalarNode { Style: ScalarStyle.Plain })
                    {
                        // Merge keys (docker compose anchors): merged entries never override explicit ones.
                        switch (Convert(value))
                        {
                            case YMap map:
                                merged.Add(map);
                                break;
                            case YSeq seq:
                                merged.AddRange(seq.Items.OfType<YMap>());
                                break;
                        }

                        continue;
                    }

                    entries.Add(new(name, Convert(value)));
                }

                foreach (var map in merged)
                {
                    foreach (var entry in map.Entries)
                    {
                        if (entries.All(e => e.Key != entry.Key))
                        {
                            entries.Add(entry);
                        }
                    }
                }

                return new YMap(line, entries);
            default:
                throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}");
        }
    }

    private static YScalar ConvertScalar(int line, YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain)
        {
            return new YScalar(line, value, ScalarKind.String);
        }

        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return new YScalar(line, value, ScalarKind.Null);
        }

        // YAML 1.1 booleans too: Kubernetes' YAML decoder still reads `yes`/`on` as true.
        if (BooleanLiteral().IsMatch(value))
        {
            return new YScalar(line, value, ScalarKind.Boolean);
        }

        if (IntegerLiteral().IsMatch(value))
        {
            return new YScalar(line, value, ScalarKind.Integer);
        }

        return FloatLiteral().IsMatch(value)
            ? new YScalar(line, value, ScalarKind.Number)
            : new YScalar(line, value, ScalarKind.String);
    }

    /// <summary>Integer value of a scalar that YAML reads as an integer (or a quoted one, when allowed).</summary>
    public static long? AsInteger(YNode? node, bool allowQuoted = false) =>
        node is YScalar s && (s.Kind == ScalarKind.Integer || (allowQuoted && s.Kind == ScalarKind.String))
        && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : null;

    [GeneratedRegex("^(true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")]
    private static partial Regex BooleanLiteral();

    [GeneratedRegex("^[-+]?(0|[1-9][0-9]*|0x[0-9a-fA-F]+|0o[0-7]+)$")]
    private static partial Regex IntegerLiteral();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")]
    private static partial Regex FloatLiteral();
}
