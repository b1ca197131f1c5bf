using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>
/// Dapr's own reference data, read from the reference directory (../shared/dapr-reference, see its README.md): CRD
/// schemas and component metadata. Nothing of it is copied into this repository; validation uses the project's
/// own <see cref="DaprFacts"/>, and this is what <c>FactsCrossCheckTests</c> compares them with.
/// </summary>
public sealed class DaprReference
{
    private readonly Dictionary<(string Kind, string Version), YMap> schemas = [];
    private readonly Dictionary<(string Type, string Version), ComponentDefinition> components = [];

    public DaprReference(string directory)
    {
        Directory = directory;
        foreach (var crdFile in System.IO.Directory.GetFiles(Path.Combine(directory, "crds"), "*.yaml"))
        {
            foreach (var document in Yaml.Load(Path.GetFileName(crdFile), File.ReadAllText(crdFile)))
            {
                if (document.Root is not YMap crd || crd["kind"]?.AsString() != "CustomResourceDefinition")
                {
                    continue;
                }

                var kind = crd["spec"]?["names"]?["kind"]?.AsString() ?? throw new InvalidDataException($"{crdFile}: no spec.names.kind");
                foreach (var version in (crd["spec"]?["versions"] as YSeq)?.Items ?? [])
                {
                    if (version["name"]?.AsString() is { } name && version["schema"]?["openAPIV3Schema"] is YMap schema)
                    {
                        schemas[(kind, name)] = schema;
                    }
                }
            }
        }

        var builtinProfiles = LoadBuiltinProfiles(Path.Combine(directory, "builtin-authentication-profiles.yaml"));
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(directory, "components"), "*.metadata.yaml"))
        {
            var definition = LoadComponent(file, builtinProfiles);
            components[(definition.Type, definition.Version)] = definition;
        }
    }

    public string Directory { get; }

    public IReadOnlyCollection<ComponentDefinition> Components => components.Values;

    public YMap? Schema(string kind, string version) => schemas.GetValueOrDefault((kind, version));

    public IEnumerable<string> SchemaVersions(string kind) => schemas.Keys.Where(k => k.Kind == kind).Select(k => k.Version);

    public ComponentDefinition? Component(string type, string version) => components.GetValueOrDefault((type, version));

    public IEnumerable<string> VersionsOf(string type) => components.Keys.Where(k => k.Type == type).Select(k => k.Version);

    /// <summary>
    /// Fields the runtime accepts on every component of a kind though no metadata.yaml lists them
    /// (listed in the reference data's README.md).
    /// </summary>
    public static IEnumerable<string> RuntimeExtras(string type)
    {
        if (type.StartsWith("pubsub.", StringComparison.Ordinal))
        {
            return ["consumerID", "allowedTopics", "publishingScopes", "subscriptionScopes", "protectedTopics"];
        }

        if (type.StartsWith("state.", StringComparison.Ordinal))
        {
            return ["keyPrefix", "actorStateStore", "outboxPublishPubsub", "outboxPublishTopic", "outboxPubsub", "outboxDiscardWhenMissingState"];
        }

        return type == "secretstores.kubernetes" ? ["defaultNamespace", "kubeconfigPath"] : [];
    }

    private static Dictionary<string, List<AuthProfile>> LoadBuiltinProfiles(string file)
    {
        var result = new Dictionary<string, List<AuthProfile>>();
        if (Yaml.Load(Path.GetFileName(file), File.ReadAllText(file)).FirstOrDefault()?.Root is not YMap root)
        {
            return result;
        }

        foreach (var (group, profiles) in root.Entries)
        {
            result[group] = ((profiles as YSeq)?.Items ?? [])
                .Select(p => new AuthProfile($"{group}: {p["title"]?.AsString()}", Fields(p["metadata"])))
                .ToList();
        }

        return result;
    }

    private static ComponentDefinition LoadComponent(string file, Dictionary<string, List<AuthProfile>> builtin)
    {
        var root = Yaml.Load(Path.GetFileName(file), File.ReadAllText(file)).Single().Root as YMap
            ?? throw new InvalidDataException($"{file}: not a mapping");
        var version = root["version"]?.AsString() ?? "v1";

        // The file is named after the component's path in components-contrib (the type with dots), plus the
        // version when it is not v1 (state.postgresql.v2). The `name` field inside is not always the type
        // (secretstores.aws.secretmanager says aws.secretsmanager), so the file name is the authority.
        var type = Path.GetFileName(file)[..^".metadata.yaml".Length];
        if (type.EndsWith("." + version, StringComparison.Ordinal))
        {
            type = type[..^(version.Length + 1)];
        }

        var profiles = new List<AuthProfile>();
        foreach (var profile in (root["authenticationProfiles"] as YSeq)?.Items ?? [])
        {
            profiles.Add(new AuthProfile(profile["title"]?.AsString() ?? "?", Fields(profile["metadata"])));
        }

        foreach (var reference in (root["builtinAuthenticationProfiles"] as YSeq)?.Items ?? [])
        {
            var name = reference["name"]?.AsString() ?? "?";
            var extra = Fields(reference["metadata"]);
            foreach (var profile in builtin.GetValueOrDefault(name) ?? [])
            {
                profiles.Add(profile with { Fields = [.. profile.Fields, .. extra] });
            }
        }

        return new ComponentDefinition(type, version, Path.GetFileName(file), Fields(root["metadata"]), profiles, [.. RuntimeExtras(type)]);
    }

    private static List<MetadataField> Fields(YNode? list) =>
        ((list as YSeq)?.Items ?? [])
        .OfType<YMap>()
        .Select(f => new MetadataField(
            f["name"]?.AsString() ?? "?",
            f["required"] is YScalar { Value: "true" },
            f["type"]?.AsString(),
            ((f["allowedValues"] as YSeq)?.Items ?? []).Select(v => v.AsString()).OfType<string>().ToList(),
            f["deprecated"] is YScalar { Value: "true" }))
        .ToList();
}
