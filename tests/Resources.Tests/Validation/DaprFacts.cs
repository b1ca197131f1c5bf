using System.Globalization;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>The shape of one resource kind, as tests/Resources.Tests/Facts/resource-kinds.yaml gives it.</summary>
/// <param name="Shape">The shape in the facts' notation (what the cross-check compares with the CRD).</param>
/// <param name="Schema">The same shape compiled into the openAPIV3Schema subset <see cref="SchemaValidator"/> reads.</param>
/// <param name="CrdFile">The CRD file in the Dapr reference's crds/ folder that defines this kind.</param>
public sealed record ResourceKindFacts(string Kind, string ApiVersion, string CrdFile, string Source, YNode Shape, YMap Schema)
{
    public string Version => ApiVersion[(ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
}

/// <summary>Fields daprd reads on every component whose type starts with <see cref="AppliesTo"/>.</summary>
public sealed record RuntimeFieldFacts(string AppliesTo, IReadOnlyList<string> Fields, string Source)
{
    public bool Matches(string type) => AppliesTo.EndsWith('.') ? type.StartsWith(AppliesTo, StringComparison.Ordinal) : type == AppliesTo;
}

/// <summary>A broker you can run on your own machine with its default settings.</summary>
/// <param name="Settings">Metadata values the component must have for such a broker (Kafka: authType none).</param>
public sealed record LocalBrokerFacts(string Folder, string Type, string AddressField, string Address, IReadOnlyDictionary<int, string> Ports, IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// The project's own facts about Dapr (tests/Resources.Tests/Facts): which metadata fields each component type we
/// ship accepts, the shape of each resource kind and of dapr.yaml, the brokers' default ports. Committed with the
/// repository, so the validation runs in every clone; <c>FactsCrossCheckTests</c> compares them with Dapr's own
/// files when those are beside the repository.
/// </summary>
public sealed class DaprFacts
{
    public const string ComponentsFile = "components.yaml";
    public const string KindsFile = "resource-kinds.yaml";
    public const string BrokersFile = "brokers.yaml";

    private readonly Dictionary<(string Type, string Version), ComponentDefinition> components = [];
    private readonly List<ResourceKindFacts> kinds = [];

    private DaprFacts(string directory)
    {
        Directory = directory;
        RelativeDirectory = RepoPaths.Relative(directory);
        LoadComponents(LoadFile(ComponentsFile));
        var kindsRoot = LoadFile(KindsFile);
        foreach (var kind in Items(kindsRoot["kinds"], KindsFile))
        {
            var name = Required(kind, "kind", KindsFile);
            var shape = kind["shape"] ?? throw Invalid(KindsFile, kind, $"kind {name} has no shape");
            kinds.Add(new ResourceKindFacts(name, Required(kind, "apiVersion", KindsFile), Required(kind, "crd", KindsFile),
                Required(kind, "source", KindsFile), shape, CompileShape(shape, $"{KindsFile}: {name}")));
        }

        var runFile = kindsRoot["runFile"] ?? throw Invalid(KindsFile, kindsRoot, "no runFile");
        RunFileSource = Required(runFile, "source", KindsFile);
        RunFileShape = runFile["shape"] ?? throw Invalid(KindsFile, runFile, "runFile has no shape");
        RunFileSchema = CompileShape(RunFileShape, $"{KindsFile}: runFile");

        var brokers = LoadFile(BrokersFile);
        LocalBrokers = Items(brokers["localBrokers"], BrokersFile)
            .Select(b => new LocalBrokerFacts(Required(b, "folder", BrokersFile), Required(b, "type", BrokersFile),
                Required(b, "addressField", BrokersFile), Required(b, "address", BrokersFile), Ports(b["ports"]),
                ((b["settings"] as YMap)?.Entries ?? []).ToDictionary(e => e.Key, e => e.Value.AsString() ?? string.Empty)))
            .ToList();
        DaprInitPorts = Ports(brokers["daprInit"]?["ports"]);
    }

    public string Directory { get; }

    /// <summary>The facts folder relative to the repository root, as messages name it.</summary>
    public string RelativeDirectory { get; }

    public IReadOnlyCollection<ComponentDefinition> Components => components.Values;

    public IReadOnlyList<RuntimeFieldFacts> RuntimeFields { get; private set; } = [];

    public IReadOnlyList<ResourceKindFacts> Kinds => kinds;

    /// <summary>dapr.yaml's shape in the facts' notation, and compiled for <see cref="SchemaValidator"/>.</summary>
    public YNode RunFileShape { get; }

    public YMap RunFileSchema { get; }

    public string RunFileSource { get; }

    public IReadOnlyList<LocalBrokerFacts> LocalBrokers { get; }

    /// <summary>Host ports `dapr init` publishes, with what listens there.</summary>
    public IReadOnlyDictionary<int, string> DaprInitPorts { get; }

    public static DaprFacts Load(string directory) => new(directory);

    public ComponentDefinition? Component(string type, string version) => components.GetValueOrDefault((type, version));

    public IEnumerable<string> VersionsOf(string type) => components.Keys.Where(k => k.Type == type).Select(k => k.Version);

    public YMap? Schema(string kind, string version) =>
        kinds.FirstOrDefault(k => k.Kind == kind && k.Version == version)?.Schema;

    public IEnumerable<string> SchemaVersions(string kind) => kinds.Where(k => k.Kind == kind).Select(k => k.Version);

    public string KindNames => string.Join(", ", kinds.Select(k => k.Kind).Distinct());

    /// <summary>
    /// Compiles a shape in the facts' notation (see resource-kinds.yaml's header) into the openAPIV3Schema subset
    /// that <see cref="SchemaValidator"/> reads: type, properties, required, items, additionalProperties.
    /// </summary>
    public static YMap CompileShape(YNode shape, string at)
    {
        switch (shape)
        {
            case YScalar { Value: "any" } any:
                return Map(any.Line, ("x-kubernetes-preserve-unknown-fields", Scalar(any.Line, "true")));
            case YScalar { Value: "string" or "integer" or "boolean" or "number" or "scalar" } scalar:
                return Map(scalar.Line, ("type", Scalar(scalar.Line, scalar.Value)));
            case YScalar other:
                throw new InvalidDataException($"{at}: line {other.Line}: unknown shape type '{other.Value}' (string, integer, boolean, number, scalar, any)");
            case YSeq { Items.Count: 1 } list:
                return Map(list.Line, ("type", Scalar(list.Line, "array")), ("items", CompileShape(list.Items[0], $"{at}[]")));
            case YSeq list:
                throw new InvalidDataException($"{at}: line {list.Line}: a list shape has exactly one item shape");
            case YMap { Entries.Count: 1 } map when map.Entries[0].Key == "*":
                return Map(map.Line, ("type", Scalar(map.Line, "object")), ("additionalProperties", CompileShape(map.Entries[0].Value, $"{at}.*")));
            case YMap map:
                var properties = new List<KeyValuePair<string, YNode>>();
                var required = new List<YNode>();
                foreach (var (key, value) in map.Entries)
                {
                    if (key == "*")
                    {
                        throw new InvalidDataException($"{at}: line {map.Line}: \"*\" must be the only key of its mapping");
                    }

                    var name = key.TrimEnd('!');
                    if (name.Length != key.Length)
                    {
                        required.Add(Scalar(value.Line, name));
                    }

                    properties.Add(new(name, CompileShape(value, $"{at}.{name}")));
                }

                var entries = new List<(string, YNode)> { ("type", Scalar(map.Line, "object")), ("properties", new YMap(map.Line, properties)) };
                if (required.Count > 0)
                {
                    entries.Add(("required", new YSeq(map.Line, required)));
                }

                return Map(map.Line, [.. entries]);
            default:
                throw new InvalidDataException($"{at}: unsupported shape node");
        }
    }

    /// <summary>The fields of an object shape: name, whether required, and the field's own shape.</summary>
    public static IEnumerable<(string Name, bool Required, YNode Shape)> ShapeFields(YMap shape) =>
        shape.Entries.Where(e => e.Key != "*").Select(e => (e.Key.TrimEnd('!'), e.Key.EndsWith('!'), e.Value));

    private void LoadComponents(YMap root)
    {
        RuntimeFields = Items(root["runtimeFields"], ComponentsFile)
            .Select(r => new RuntimeFieldFacts(Required(r, "appliesTo", ComponentsFile), Strings(r["fields"]), Required(r, "source", ComponentsFile)))
            .ToList();

        var builtin = new Dictionary<string, List<AuthProfile>>(StringComparer.Ordinal);
        foreach (var (group, profiles) in (root["builtinProfiles"] as YMap)?.Entries ?? [])
        {
            builtin[group] = Items(profiles, ComponentsFile)
                .Select(p => new AuthProfile($"{group}: {Required(p, "title", ComponentsFile)}", Fields(p["fields"])))
                .ToList();
        }

        foreach (var entry in Items(root["components"], ComponentsFile))
        {
            var type = Required(entry, "type", ComponentsFile);
            var version = Required(entry, "version", ComponentsFile);
            var profiles = Items(entry["profiles"], ComponentsFile)
                .Select(p => new AuthProfile(Required(p, "title", ComponentsFile), Fields(p["fields"])))
                .ToList();
            foreach (var reference in Items(entry["builtinProfiles"], ComponentsFile))
            {
                var group = Required(reference, "name", ComponentsFile);
                var extra = Fields(reference["extraFields"]);
                var expanded = builtin.GetValueOrDefault(group) ?? throw Invalid(ComponentsFile, reference, $"{type}: unknown builtin profile group '{group}'");
                profiles.AddRange(expanded.Select(p => p with { Fields = [.. p.Fields, .. extra] }));
            }

            var fields = Fields(entry["fields"]);
            var exactlyOneOf = ((entry["exactlyOneOf"] as YSeq)?.Items ?? []).Select(g => (IReadOnlyList<string>)Strings(g)).ToList();
            var definition = new ComponentDefinition(type, version,
                $"{RelativeDirectory}/{ComponentsFile} ({Required(entry, "source", ComponentsFile)})",
                fields, profiles,
                [.. RuntimeFields.Where(r => r.Matches(type)).SelectMany(r => r.Fields)])
            {
                ExactlyOneOf = exactlyOneOf,
                SecretReads = entry["secretReads"]?.AsString(),
                SecretReadsSource = entry["secretReadsSource"]?.AsString(),
                NotInReference = entry["notInReference"]?.AsString(),
            };

            foreach (var name in exactlyOneOf.SelectMany(g => g).Where(n => !definition.AcceptedNames.Contains(n)))
            {
                throw Invalid(ComponentsFile, entry, $"{type}: exactlyOneOf names '{name}', which is not one of its fields");
            }

            if (type.StartsWith("secretstores.", StringComparison.Ordinal) && definition.SecretReads is not ("atStart" or "processEnvironment" or "perRequest"))
            {
                throw Invalid(ComponentsFile, entry, $"{type}: secretReads must be atStart, processEnvironment or perRequest");
            }

            if (!components.TryAdd((type, version), definition))
            {
                throw Invalid(ComponentsFile, entry, $"{type} {version} is listed twice");
            }
        }
    }

    private YMap LoadFile(string file)
    {
        var path = Path.Combine(Directory, file);
        return Yaml.Load($"{RelativeDirectory}/{file}", File.ReadAllText(path)).SingleOrDefault()?.Root as YMap
            ?? throw new InvalidDataException($"{path}: expected one YAML mapping");
    }

    private static List<MetadataField> Fields(YNode? list) =>
        Items(list, ComponentsFile)
            .Select(f => new MetadataField(
                Required(f, "name", ComponentsFile),
                f["required"] is YScalar { Value: "true" },
                f["type"]?.AsString(),
                Strings(f["allowed"]),
                f["deprecated"] is YScalar { Value: "true" }))
            .ToList();

    private static Dictionary<int, string> Ports(YNode? map) =>
        ((map as YMap)?.Entries ?? []).ToDictionary(e => int.Parse(e.Key, CultureInfo.InvariantCulture), e => e.Value.AsString() ?? string.Empty);

    private static IEnumerable<YMap> Items(YNode? list, string file) =>
        list switch
        {
            null => [],
            YSeq seq => seq.Items.Select(i => i as YMap ?? throw Invalid(file, i, "expected a mapping")),
            _ => throw Invalid(file, list, "expected a list"),
        };

    private static List<string> Strings(YNode? list) => ((list as YSeq)?.Items ?? []).Select(i => i.AsString()).OfType<string>().ToList();

    private static string Required(YNode node, string key, string file) =>
        node[key]?.AsString() ?? throw Invalid(file, node, $"'{key}' is missing");

    private static InvalidDataException Invalid(string file, YNode node, string problem) =>
        new($"tests/Resources.Tests/Facts/{file}:{node.Line}: {problem}");

    private static YScalar Scalar(int line, string value) => new(line, value, ScalarKind.String);

    private static YMap Map(int line, params (string Key, YNode Value)[] entries) =>
        new(line, entries.Select(e => new KeyValuePair<string, YNode>(e.Key, e.Value)).ToList());
}
