using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using ModeRefresh.Resources.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ModeRefresh.Resources.Tests;

/// <summary>One rendering of a kustomization: its objects, which renderer made them, and the files it read.</summary>
public sealed record KustomizeRendering(string Directory, string Renderer, IReadOnlyList<YMap> Documents, IReadOnlyList<string> FilesRead)
{
    public IEnumerable<YMap> OfKind(string kind) => Documents.Where(d => d["kind"]?.AsString() == kind);

    public YMap Single(string kind, string name) =>
        Assert.Single(OfKind(kind), d => d["metadata"]?["name"]?.AsString() == name);

    public IEnumerable<YMap> DaprComponents() =>
        OfKind("Component").Where(d => d["apiVersion"]?.AsString()?.StartsWith("dapr.io/", StringComparison.Ordinal) == true);
}

/// <summary>
/// Renders the kustomizations under deploy/ (the base and the broker overlays). With kubectl on PATH, by `kubectl kustomize` (what `kubectl apply -k`
/// sends to the cluster); without it, by reading the kustomization files — the subset of kustomize this repository
/// uses (resources, patches that delete an object, configMapGenerator, labels, images). Anything else in a
/// kustomization.yaml fails the render, so the file renderer can never quietly render something other than
/// kustomize would; <see cref="KustomizeRendererTests"/> compares the two wherever kubectl exists.
/// </summary>
public static class Kustomize
{
    public static readonly string Base = RepoPaths.Combine("deploy", "kubernetes");

    /// <summary>Building block of the broker overlays (the base minus its pub/sub): not a deployment by itself.</summary>
    public const string WithoutPubSub = "without-pubsub";

    private const string KustomizationFile = "kustomization.yaml";

    private static readonly HashSet<string> SupportedKeys =
        ["apiVersion", "kind", "resources", "patches", "configMapGenerator", "labels", "images"];

    private static readonly ConcurrentDictionary<string, Lazy<KustomizeRendering>> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// The broker overlays' folder. Beside the base, not inside it: kustomize refuses a kustomization that includes a
    /// folder containing itself ("cycle detected: candidate root ... contains visited root").
    /// </summary>
    public static readonly string Overlays = RepoPaths.Combine("deploy", "overlays");

    /// <summary>Every kustomization a user applies: the base (Redis) and each broker overlay, as repo-relative paths.</summary>
    public static IReadOnlyList<string> Deployable() =>
        [RepoPaths.Relative(Base), .. BrokerOverlays().Select(b => RepoPaths.Relative(Path.Combine(Overlays, b)))];

    /// <summary>The broker overlays: folders of deploy/overlays holding a kustomization.yaml, but for the building block.</summary>
    public static IReadOnlyList<string> BrokerOverlays() =>
        !System.IO.Directory.Exists(Overlays)
            ? []
            : System.IO.Directory.GetDirectories(Overlays)
                .Where(d => File.Exists(Path.Combine(d, KustomizationFile)) && Path.GetFileName(d) != WithoutPubSub)
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>Every folder under deploy/ with a kustomization.yaml (the base, the overlays, their building block).</summary>
    public static IReadOnlyList<string> AllKustomizations() =>
        System.IO.Directory.EnumerateFiles(RepoPaths.Combine("deploy"), KustomizationFile, SearchOption.AllDirectories)
            .Select(f => RepoPaths.Relative(Path.GetDirectoryName(f)!)).Order(StringComparer.Ordinal).ToList();

    /// <summary>The rendering a user gets: kubectl's where kubectl exists, the files' otherwise. Cached per folder.</summary>
    public static KustomizeRendering Render(string relativeDirectory) =>
        Cache.GetOrAdd(relativeDirectory, d => new Lazy<KustomizeRendering>(() =>
            KubectlPath() is { } kubectl ? WithKubectl(kubectl, d) : FromFiles(d))).Value;

    /// <summary>kubectl on PATH, or null. (Looked up here rather than by starting it, so a PATH without it is honoured.)</summary>
    public static string? KubectlPath()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in OperatingSystem.IsWindows() ? new[] { "kubectl.exe" } : ["kubectl"])
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>`kubectl kustomize DIR`; a failed render fails the caller with kubectl's own message.</summary>
    public static KustomizeRendering WithKubectl(string kubectl, string relativeDirectory)
    {
        var start = new ProcessStartInfo(kubectl, ["kustomize", RepoPaths.Combine(relativeDirectory)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {kubectl}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl kustomize {relativeDirectory} did not finish within 120 s");
        }

        Assert.True(process.ExitCode == 0, $"kubectl kustomize {relativeDirectory} failed (exit {process.ExitCode}): {stderr.Result}");
        var documents = Yaml.Load($"kubectl kustomize {relativeDirectory}", stdout.Result).Select(d => d.Root).OfType<YMap>().ToList();
        return new KustomizeRendering(relativeDirectory, "kubectl kustomize", documents, []);
    }

    /// <summary>Renders by reading the files (no kubectl needed). Unsupported kustomize features throw.</summary>
    public static KustomizeRendering FromFiles(string relativeDirectory)
    {
        var read = new List<string>();
        var documents = Load(Path.GetFullPath(RepoPaths.Combine(relativeDirectory)), [], read);
        return new KustomizeRendering(relativeDirectory, "file renderer", documents, read);
    }

    /// <summary>The object's identity as kustomize keys it: group, kind, name (namespace is not used here).</summary>
    public static string Id(YMap document)
    {
        var apiVersion = document["apiVersion"]?.AsString() ?? string.Empty;
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
        return $"{group}/{document["kind"]?.AsString()}/{document["metadata"]?["name"]?.AsString()}";
    }

    /// <summary>YAML text of rendered objects (for the resource validator, which reads text).</summary>
    public static string ToYaml(IEnumerable<YMap> documents)
    {
        var stream = new YamlStream(documents.Select(d => new YamlDotNet.RepresentationModel.YamlDocument(ToYamlNode(d))));
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static List<YMap> Load(string directory, List<string> visiting, List<string> read)
    {
        var relative = RepoPaths.Relative(directory);
        if (visiting.Contains(directory))
        {
            throw new InvalidOperationException($"kustomization cycle: {string.Join(" -> ", visiting.Select(RepoPaths.Relative))} -> {relative}");
        }

        var kustomizationPath = Path.Combine(directory, KustomizationFile);
        Assert.True(File.Exists(kustomizationPath), $"{relative} has no {KustomizationFile}");
        read.Add(RepoPaths.Relative(kustomizationPath));
        var kustomization = Yaml.LoadSingleMap(kustomizationPath);
        var unsupported = kustomization.Keys.Where(k => !SupportedKeys.Contains(k)).ToList();
        if (unsupported.Count > 0)
        {
            throw new NotSupportedException($"{relative}/{KustomizationFile}: the file renderer does not handle {string.Join(", ", unsupported)}; "
                + "teach it (tests/Resources.Tests/Kustomize.cs) or run the tests with kubectl on PATH");
        }

        visiting = [.. visiting, directory];
        var documents = new List<YMap>();
        foreach (var resource in Strings(kustomization["resources"]))
        {
            var full = Path.GetFullPath(Path.Combine(directory, resource));
            if (System.IO.Directory.Exists(full))
            {
                documents.AddRange(Load(full, visiting, read)); // a kustomization folder may be anywhere
            }
            else
            {
                documents.AddRange(LoadFile(directory, resource, read));
            }
        }

        foreach (var generator in Items(kustomization["configMapGenerator"]))
        {
            documents.Add(GenerateConfigMap(directory, generator, read));
        }

        // kustomize refuses two objects with one id ("may not add resource with an already registered id").
        var duplicate = documents.GroupBy(Id).FirstOrDefault(g => g.Count() > 1);
        Assert.True(duplicate is null, $"{relative}: {duplicate?.Key} is defined more than once (kustomize refuses the render)");

        foreach (var patch in Items(kustomization["patches"]))
        {
            ApplyPatch(directory, patch, documents, read);
        }

        foreach (var label in Items(kustomization["labels"]))
        {
            if (label["includeSelectors"]?.AsString() == "true" || label["includeTemplates"]?.AsString() == "true")
            {
                throw new NotSupportedException($"{relative}: labels with includeSelectors/includeTemplates are not handled by the file renderer");
            }

            var pairs = Assert.IsType<YMap>(label["pairs"]);
            for (var i = 0; i < documents.Count; i++)
            {
                foreach (var (key, value) in pairs.Entries)
                {
                    documents[i] = SetPath(documents[i], ["metadata", "labels", key], new YScalar(0, value.AsString() ?? string.Empty, ScalarKind.String));
                }
            }
        }

        foreach (var image in Items(kustomization["images"]))
        {
            for (var i = 0; i < documents.Count; i++)
            {
                documents[i] = SetImage(documents[i], image);
            }
        }

        return documents;
    }

    private static IEnumerable<YMap> LoadFile(string directory, string resource, List<string> read)
    {
        var full = Path.GetFullPath(Path.Combine(directory, resource));
        // kustomize's default load restrictor: a kustomization reads files inside its own folder only.
        Assert.True(full.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal),
            $"{RepoPaths.Relative(directory)}: resource {resource} is outside the kustomization's folder (kustomize's load restrictor refuses it)");
        Assert.True(File.Exists(full), $"{RepoPaths.Relative(directory)}/{KustomizationFile} lists {resource}, which does not exist");
        read.Add(RepoPaths.Relative(full));
        return Yaml.LoadFile(full).Select(d => d.Root).OfType<YMap>();
    }

    private static YMap GenerateConfigMap(string directory, YNode generator, List<string> read)
    {
        var name = generator["name"]?.AsString() ?? throw new InvalidOperationException($"{RepoPaths.Relative(directory)}: configMapGenerator entry without a name");
        if (generator["behavior"]?.AsString() is { } behavior && behavior != "create")
        {
            throw new NotSupportedException($"{RepoPaths.Relative(directory)}: configMapGenerator behavior '{behavior}' is not handled by the file renderer");
        }

        var data = new List<KeyValuePair<string, YNode>>();
        foreach (var file in Strings(generator["files"]))
        {
            var split = file.IndexOf('=', StringComparison.Ordinal);
            var (key, path) = split < 0 ? (Path.GetFileName(file), file) : (file[..split], file[(split + 1)..]);
            var full = Path.GetFullPath(Path.Combine(directory, path));
            Assert.True(full.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full),
                $"{RepoPaths.Relative(directory)}: configMapGenerator {name} file {path} is missing or outside the folder");
            read.Add(RepoPaths.Relative(full));
            data.Add(new(key, new YScalar(0, File.ReadAllText(full), ScalarKind.String)));
        }

        foreach (var literal in Strings(generator["literals"]))
        {
            var split = literal.IndexOf('=', StringComparison.Ordinal);
            data.Add(new(literal[..split], new YScalar(0, literal[(split + 1)..], ScalarKind.String)));
        }

        // No name hash here (kustomize appends one and rewrites the references); KustomizeRendererTests strips it.
        return new YMap(0,
        [
            new("apiVersion", new YScalar(0, "v1", ScalarKind.String)),
            new("kind", new YScalar(0, "ConfigMap", ScalarKind.String)),
            new("metadata", new YMap(0, [new("name", new YScalar(0, name, ScalarKind.String))])),
            new("data", new YMap(0, data)),
        ]);
    }

    private static void ApplyPatch(string directory, YNode patch, List<YMap> documents, List<string> read)
    {
        var relative = RepoPaths.Relative(directory);
        if (patch["target"] is not null)
        {
            throw new NotSupportedException($"{relative}: patches with a target are not handled by the file renderer");
        }

        string text;
        if (patch["path"]?.AsString() is { } path)
        {
            var full = Path.GetFullPath(Path.Combine(directory, path));
            read.Add(RepoPaths.Relative(full));
            text = File.ReadAllText(full);
        }
        else
        {
            text = patch["patch"]?.AsString() ?? throw new InvalidOperationException($"{relative}: a patch needs path or patch");
        }

        foreach (var document in Yaml.Load($"{relative} patch", text).Select(d => d.Root).OfType<YMap>())
        {
            // Only the strategic-merge delete directive: the broker overlays remove the base's pub/sub with it.
            if (document["$patch"]?.AsString() != "delete")
            {
                throw new NotSupportedException($"{relative}: only `$patch: delete` patches are handled by the file renderer");
            }

            var removed = documents.RemoveAll(d => Id(d) == Id(document));
            Assert.True(removed == 1, $"{relative}: the delete patch for {Id(document)} matches {removed} objects (kustomize fails when it matches none)");
        }
    }

    private static YMap SetImage(YMap document, YNode image)
    {
        var name = image["name"]?.AsString();
        if (document["kind"]?.AsString() is not ("Deployment" or "StatefulSet") || name is null)
        {
            return document;
        }

        var containers = document["spec"]?["template"]?["spec"]?["containers"] as YSeq;
        if (containers is null)
        {
            return document;
        }

        var updated = containers.Items.Select(c =>
        {
            var current = c["image"]?.AsString();
            if (c is not YMap container || current is null)
            {
                return c;
            }

            var tagAt = current.LastIndexOf(':');
            var (repository, tag) = tagAt > current.LastIndexOf('/') ? (current[..tagAt], current[(tagAt + 1)..]) : (current, null);
            if (repository != name)
            {
                return c;
            }

            var newImage = (image["newName"]?.AsString() ?? repository) + (image["newTag"]?.AsString() is { } newTag ? ":" + newTag : tag is null ? string.Empty : ":" + tag);
            return SetPath(container, ["image"], new YScalar(0, newImage, ScalarKind.String));
        }).ToList();
        return SetPath(document, ["spec", "template", "spec", "containers"], new YSeq(containers.Line, updated));
    }

    private static YMap SetPath(YMap map, string[] path, YNode value)
    {
        var key = path[0];
        var existing = map.Get(key);
        var replacement = path.Length == 1 ? value : SetPath(existing as YMap ?? new YMap(0, []), path[1..], value);
        var entries = map.Entries.ToList();
        var index = entries.FindIndex(e => e.Key == key);
        if (index < 0)
        {
            entries.Add(new(key, replacement));
        }
        else
        {
            entries[index] = new(key, replacement);
        }

        return map with { Entries = entries };
    }

    private static IEnumerable<string> Strings(YNode? node) =>
        ((node as YSeq)?.Items ?? []).Select(i => i.AsString()).OfType<string>();

    private static IEnumerable<YNode> Items(YNode? node) => (node as YSeq)?.Items ?? [];

    private static YamlNode ToYamlNode(YNode node) => node switch
    {
        YMap map => new YamlMappingNode(map.Entries.Select(e => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(e.Key), ToYamlNode(e.Value)))),
        YSeq seq => new YamlSequenceNode(seq.Items.Select(ToYamlNode)),
        // Strings quoted so that "true" or "5080" stay strings; every other kind plain, as YAML resolves it.
        YScalar { Kind: ScalarKind.String } s => new YamlScalarNode(s.Value) { Style = ScalarStyle.DoubleQuoted },
        YScalar s => new YamlScalarNode(s.Value) { Style = ScalarStyle.Plain },
        _ => throw new InvalidOperationException($"unexpected node {node.GetType().Name}"),
    };

    /// <summary>A canonical text of an object (map keys sorted), for comparing renderings.</summary>
    public static string Canonical(YNode? node)
    {
        var builder = new StringBuilder();
        Write(node, builder);
        return builder.ToString();

        static void Write(YNode? node, StringBuilder builder)
        {
            switch (node)
            {
                case YMap map:
                    builder.Append('{');
                    foreach (var (key, value) in map.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                    {
                        builder.Append(key).Append(':');
                        Write(value, builder);
                        builder.Append(',');
                    }

                    builder.Append('}');
                    break;
                case YSeq seq:
                    builder.Append('[');
                    foreach (var item in seq.Items)
                    {
                        Write(item, builder);
                        builder.Append(',');
                    }

                    builder.Append(']');
                    break;
                case YScalar scalar:
                    builder.Append(scalar.Kind).Append('(').Append(scalar.Value).Append(')');
                    break;
                default:
                    builder.Append("null");
                    break;
            }
        }
    }
}
