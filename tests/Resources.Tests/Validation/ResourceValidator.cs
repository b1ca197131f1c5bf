using System.Globalization;
using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;
using YamlDotNet.Core;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>Where a set of resources is loaded: by daprd from folders, or by the Dapr operator in Kubernetes.</summary>
public enum ResourceScope
{
    /// <summary>dapr run / docker compose: no built-in secret store.</summary>
    SelfHosted,

    /// <summary>Kubernetes: the built-in `kubernetes` secret store resolves secretKeyRefs.</summary>
    Kubernetes,
}

/// <summary>A resource file's text and the name it is reported under.</summary>
public sealed record ResourceFile(string File, string Text)
{
    public static ResourceFile FromDisk(string fullPath) => new(RepoPaths.Relative(fullPath), System.IO.File.ReadAllText(fullPath));

    public string Directory => Path.GetDirectoryName(File)?.Replace('\\', '/') ?? string.Empty;
}

/// <summary>What validation found: errors fail, notes say what could not be checked.</summary>
public sealed record ValidationResult(IReadOnlyList<ValidationError> Errors, IReadOnlyList<string> Notes)
{
    public string Describe() => Errors.Count == 0 ? "no errors" : string.Join(Environment.NewLine, Errors);
}

/// <summary>
/// Validates Dapr resources (Component, Configuration, Resiliency, Subscription) and the Kubernetes objects beside
/// them, file by file and across the set: kinds, the shape of each kind, component metadata, secret references,
/// resiliency policy and target references — all against the project's own facts (<see cref="DaprFacts"/>,
/// tests/Resources.Tests/Facts), so it runs in every clone.
/// </summary>
public sealed partial class ResourceValidator(DaprFacts facts, IReadOnlySet<string> appIds)
{
    private const string DaprApiGroup = "dapr.io/";
    private const string BuiltinKubernetesSecretStore = "kubernetes";

    /// <summary>Kubernetes and kustomize kinds that may sit beside Dapr resources (checked for shape only).</summary>
    private static readonly HashSet<(string ApiVersion, string Kind)> KubernetesKinds =
    [
        ("v1", "Service"), ("v1", "Secret"), ("v1", "ConfigMap"), ("v1", "ServiceAccount"), ("v1", "Namespace"),
        ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"),
        ("policy/v1", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
    ];

    /// <summary>
    /// Real Dapr component types that are not in the project's facts: their metadata names cannot be checked, only
    /// their shape; results say so in <see cref="ValidationResult.Notes"/>. Any other type missing from the facts is
    /// an error (most likely a typo).
    /// </summary>
    public static readonly IReadOnlySet<string> KnownTypesWithoutReference = new HashSet<string>(StringComparer.Ordinal)
    {
        "pubsub.pulsar", "pubsub.azure.eventhubs", "pubsub.mqtt", "pubsub.solace.amqp", "pubsub.rocketmq",
        "state.postgresql", "state.mongodb", "state.azure.cosmosdb", "state.mysql", "state.sqlite",
        "secretstores.gcp.secretmanager", "secretstores.alicloud.parameterstore",
    };

    public ValidationResult Validate(IEnumerable<ResourceFile> files, ResourceScope scope)
    {
        var errors = new List<ValidationError>();
        var notes = new List<string>();
        var documents = new List<(ResourceFile File, YMap Root)>();

        foreach (var file in files)
        {
            try
            {
                foreach (var document in Yaml.Load(file.File, file.Text))
                {
                    if (document.Root is YMap map)
                    {
                        documents.Add((file, map));
                    }
                    else if (document.Root is not null)
                    {
                        errors.Add(new(file.File, document.Root.Line, "(document)", "is not a YAML mapping"));
                    }
                }
            }
            catch (YamlException ex)
            {
                errors.Add(new(file.File, (int)ex.Start.Line, "(document)", $"does not parse as YAML: {ex.Message}"));
            }
        }

        var set = new ResourceSet(documents, scope);
        foreach (var (file, root) in documents)
        {
            ValidateDocument(file.File, root, set, errors, notes);
        }

        ValidateUniqueNames(documents, errors);
        return new ValidationResult(errors, notes);
    }

    private void ValidateDocument(string file, YMap root, ResourceSet set, List<ValidationError> errors, List<string> notes)
    {
        var apiVersion = root["apiVersion"]?.AsString();
        var kind = root["kind"]?.AsString();
        if (apiVersion is null || kind is null)
        {
            errors.Add(new(file, root.Line, apiVersion is null ? "apiVersion" : "kind", "is missing"));
            return;
        }

        if (!apiVersion.StartsWith(DaprApiGroup, StringComparison.Ordinal))
        {
            if (!KubernetesKinds.Contains((apiVersion, kind)))
            {
                errors.Add(new(file, root["kind"]!.Line, "kind", $"unknown kind '{kind}' for apiVersion '{apiVersion}'"));
            }
            else if (kind != "Kustomization" && root["metadata"]?["name"]?.AsString() is null)
            {
                errors.Add(new(file, root.Line, "metadata.name", "is missing"));
            }

            return;
        }

        var version = apiVersion[DaprApiGroup.Length..];
        var schema = facts.Schema(kind, version);
        if (schema is null)
        {
            var known = facts.SchemaVersions(kind).ToList();
            errors.Add(new(file, root["kind"]!.Line, known.Count == 0 ? "kind" : "apiVersion", known.Count == 0
                ? $"unknown kind '{kind}' for apiVersion '{apiVersion}' (the facts in {facts.RelativeDirectory}/{DaprFacts.KindsFile} define {facts.KindNames})"
                : $"'{apiVersion}' is not a version of {kind} this project's facts know (known: {string.Join(", ", known.Select(v => DaprApiGroup + v))})"));
            return;
        }

        SchemaValidator.Validate(root, schema, file, string.Empty, errors, $"the {kind} shape in {facts.RelativeDirectory}/{DaprFacts.KindsFile}");

        var name = root["metadata"]?["name"]?.AsString();
        if (name is null)
        {
            errors.Add(new(file, root.Line, "metadata.name", "is missing"));
        }
        else if (!DnsSubdomain().IsMatch(name))
        {
            errors.Add(new(file, root["metadata"]!["name"]!.Line, "metadata.name", $"'{name}' is not a valid Kubernetes name (lowercase letters, digits, '-', '.')"));
        }

        ValidateScopes(file, root, errors);

        switch (kind)
        {
            case "Component":
                ValidateComponent(file, root, set, errors, notes);
                break;
            case "Resiliency":
                ValidateResiliency(file, root, set, errors);
                break;
            case "Configuration":
                ValidateConfiguration(file, root, set, errors);
                break;
            case "Subscription":
                if (root["spec"]?["pubsubname"] is YScalar pubsub && !set.ComponentNames.Contains(pubsub.Value))
                {
                    errors.Add(new(file, pubsub.Line, "spec.pubsubname", $"names component '{pubsub.Value}', which is not defined"));
                }

                break;
        }
    }

    private void ValidateScopes(string file, YMap root, List<ValidationError> errors)
    {
        foreach (var scope in (root["scopes"] as YSeq)?.Items.OfType<YScalar>() ?? [])
        {
            if (!appIds.Contains(scope.Value))
            {
                errors.Add(new(file, scope.Line, "scopes", $"app id '{scope.Value}' is not one of this system's apps ({string.Join(", ", appIds)})"));
            }
        }
    }

    private void ValidateComponent(string file, YMap root, ResourceSet set, List<ValidationError> errors, List<string> notes)
    {
        var spec = root["spec"] as YMap;
        var type = spec?["type"]?.AsString();
        var version = spec?["version"]?.AsString();
        if (spec is null || type is null || version is null)
        {
            return; // the CRD schema already reported it
        }

        var items = ((spec["metadata"] as YSeq)?.Items ?? []).OfType<YMap>().ToList();
        var present = new Dictionary<string, (YMap Item, string? PlainValue)>(StringComparer.OrdinalIgnoreCase);
        var secretStore = root["auth"]?["secretStore"]?.AsString();

        foreach (var item in items)
        {
            var name = item["name"]?.AsString();
            if (name is null)
            {
                continue;
            }

            var field = $"spec.metadata[{name}]";
            if (present.ContainsKey(name))
            {
                errors.Add(new(file, item.Line, field, "is set more than once"));
                continue;
            }

            var sources = new[] { "value", "secretKeyRef", "envRef" }.Where(s => item[s] is not null).ToList();
            if (sources.Count != 1)
            {
                errors.Add(new(file, item.Line, field, sources.Count == 0
                    ? "has no value, secretKeyRef or envRef"
                    : $"has more than one of value, secretKeyRef, envRef ({string.Join(", ", sources)})"));
            }

            if (item["secretKeyRef"] is YMap secretKeyRef)
            {
                if (secretStore is null)
                {
                    errors.Add(new(file, secretKeyRef.Line, $"{field}.secretKeyRef",
                        "secretKeyRef needs the component's auth.secretStore to name the secret store that resolves it, and auth.secretStore is missing"));
                }
                else if (secretKeyRef["key"] is null)
                {
                    errors.Add(new(file, secretKeyRef.Line, $"{field}.secretKeyRef.key",
                        "is missing: without it Dapr takes the secret's value only when the secret holds a single key; name it"));
                }
            }

            var value = item["value"] is YScalar scalar && scalar.Kind != ScalarKind.Null ? scalar.Value : null;
            present[name] = (item, value);
        }

        if (secretStore is not null)
        {
            var secretStoreNode = root["auth"]!["secretStore"]!;
            if (secretStore == root["metadata"]?["name"]?.AsString() && type.StartsWith("secretstores.", StringComparison.Ordinal))
            {
                errors.Add(new(file, secretStoreNode.Line, "auth.secretStore", "a secret store cannot resolve its own secretKeyRefs"));
            }
            else if (!set.SecretStores.Contains(secretStore)
                && !(set.Scope == ResourceScope.Kubernetes && secretStore == BuiltinKubernetesSecretStore))
            {
                errors.Add(new(file, secretStoreNode.Line, "auth.secretStore", set.Scope == ResourceScope.Kubernetes
                    ? $"'{secretStore}' is neither a secret store component of this set ({string.Join(", ", set.SecretStores)}) nor the built-in 'kubernetes' store"
                    : $"'{secretStore}' is not a secret store component of this set ({string.Join(", ", set.SecretStores.DefaultIfEmpty("none"))}); self-hosted Dapr has no built-in store"));
            }
        }

        var definition = facts.Component(type, version);
        if (definition is null)
        {
            var versions = facts.VersionsOf(type).ToList();
            var where = $"{facts.RelativeDirectory}/{DaprFacts.ComponentsFile}";
            if (versions.Count > 0)
            {
                errors.Add(new(file, spec["version"]!.Line, "spec.version", $"'{version}' is not a version of {type} in {where} (it has {string.Join(", ", versions)})"));
            }
            else if (KnownTypesWithoutReference.Contains(type))
            {
                notes.Add($"{file}: {type}/{version} is not in {where} — its metadata names, required fields and allowed values are unchecked; add its facts");
            }
            else
            {
                errors.Add(new(file, spec["type"]!.Line, "spec.type", $"unknown component type '{type}' (not a Dapr component type in {where})"));
            }

            return;
        }

        var source = $"{type} {version}, {definition.SourceFile}";
        foreach (var (name, (item, value)) in present)
        {
            var field = $"spec.metadata[{name}]";
            if (!definition.AcceptedNames.Contains(name))
            {
                var suggestion = Suggest(name, definition.AcceptedNames);
                errors.Add(new(file, item.Line, field,
                    $"unknown metadata field '{name}' for {type} — Dapr ignores it silently{(suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?")} ({source})"));
                continue;
            }

            var definitions = definition.DefinitionsOf(name).ToList();
            if (definitions.Any(d => d.Deprecated))
            {
                errors.Add(new(file, item.Line, field, $"'{name}' is deprecated ({source})"));
            }

            if (value is null || value.Contains('{', StringComparison.Ordinal))
            {
                continue; // a secretKeyRef / envRef, or a {appID}-style template resolved at run time
            }

            var allowed = definitions.SelectMany(d => d.AllowedValues).Distinct().ToList();
            if (allowed.Count > 0 && !allowed.Contains(value))
            {
                errors.Add(new(file, item.Line, field, $"value '{value}' is not an allowed value for '{name}' (allowed: {string.Join(", ", allowed)}; {source})"));
            }

            var expected = definitions.Select(d => d.Type).FirstOrDefault(t => t is not null);
            if (expected is not null && value.Length > 0 && !MatchesMetadataType(value, expected))
            {
                errors.Add(new(file, item.Line, field, $"value '{value}' is not a valid {expected} ({source})"));
            }
        }

        bool IsSet(string name) => present.TryGetValue(name, out var p) && (p.PlainValue is null ? p.Item["value"] is null : p.PlainValue.Length > 0);

        var exclusive = definition.ExactlyOneOf;
        foreach (var field in definition.Fields.Where(f => f.Required && !exclusive.Any(group => group.Contains(f.Name))))
        {
            if (!IsSet(field.Name))
            {
                errors.Add(new(file, spec.Line, $"spec.metadata[{field.Name}]", $"required field '{field.Name}' is missing or empty ({source})"));
            }
        }

        foreach (var group in exclusive)
        {
            var set2 = group.Where(IsSet).ToList();
            if (set2.Count != 1)
            {
                errors.Add(new(file, spec.Line, $"spec.metadata[{string.Join("|", group)}]",
                    $"exactly one of {string.Join(", ", group)} must be set, found {(set2.Count == 0 ? "none" : string.Join(", ", set2))} (the runtime refuses both or neither, although the component's metadata.yaml marks both required; {definition.SourceFile})"));
            }
        }

        if (definition.Profiles.Count > 0)
        {
            var failures = new List<string>();
            foreach (var profile in definition.Profiles)
            {
                var missing = profile.Fields.Where(f => f.Required && !IsSet(f.Name)).Select(f => f.Name).ToList();
                var wrong = profile.Fields
                    .Where(f => f.AllowedValues.Count > 0 && present.TryGetValue(f.Name, out var p) && p.PlainValue is not null && !f.AllowedValues.Contains(p.PlainValue))
                    .Select(f => $"{f.Name} must be {string.Join("|", f.AllowedValues)}")
                    .ToList();
                if (missing.Count == 0 && wrong.Count == 0)
                {
                    failures.Clear();
                    break;
                }

                failures.Add($"'{profile.Title}' needs {string.Join(", ", missing.Concat(wrong))}");
            }

            if (failures.Count > 0)
            {
                errors.Add(new(file, spec.Line, "spec.metadata", $"no authentication profile of {type} is satisfied: {string.Join("; ", failures)} ({source})"));
            }
        }
    }

    private void ValidateResiliency(string file, YMap root, ResourceSet set, List<ValidationError> errors)
    {
        var policies = root["spec"]?["policies"] as YMap;
        var timeouts = policies?["timeouts"] as YMap;
        var retries = policies?["retries"] as YMap;
        var breakers = policies?["circuitBreakers"] as YMap;

        foreach (var (name, value) in timeouts?.Entries ?? [])
        {
            RequireDuration(file, $"spec.policies.timeouts.{name}", value, errors);
        }

        foreach (var (name, retry) in retries?.Entries ?? [])
        {
            var path = $"spec.policies.retries.{name}";
            var policy = retry["policy"]?.AsString();
            if (policy is not ("constant" or "exponential"))
            {
                errors.Add(new(file, retry.Line, $"{path}.policy", $"must be 'constant' or 'exponential', found '{policy ?? "(missing)"}'"));
            }

            RequireDuration(file, $"{path}.duration", retry["duration"], errors, optional: true);
            RequireDuration(file, $"{path}.maxInterval", retry["maxInterval"], errors, optional: true);
            if (Yaml.AsInteger(retry["maxRetries"]) is < -1)
            {
                errors.Add(new(file, retry["maxRetries"]!.Line, $"{path}.maxRetries", "must be -1 (forever) or more"));
            }
        }

        foreach (var (name, breaker) in breakers?.Entries ?? [])
        {
            var path = $"spec.policies.circuitBreakers.{name}";
            RequireDuration(file, $"{path}.interval", breaker["interval"], errors, optional: true);
            RequireDuration(file, $"{path}.timeout", breaker["timeout"], errors, optional: true);
            var trip = breaker["trip"]?.AsString();
            if (trip is null || !TripExpression().IsMatch(trip))
            {
                errors.Add(new(file, breaker.Line, $"{path}.trip",
                    $"'{trip ?? "(missing)"}' is not a trip expression over consecutiveFailures, totalFailures, requests, totalSuccesses, consecutiveSuccesses"));
            }
        }

        void CheckPolicyNames(YMap? names, string path)
        {
            if (names is null)
            {
                return;
            }

            Check("timeout", timeouts);
            Check("retry", retries);
            Check("circuitBreaker", breakers);

            void Check(string key, YMap? definitions)
            {
                if (names[key] is YScalar reference && definitions?.Get(reference.Value) is null)
                {
                    errors.Add(new(file, reference.Line, $"{path}.{key}", $"names {key} policy '{reference.Value}', which is not defined under spec.policies"));
                }
            }
        }

        var targets = root["spec"]?["targets"] as YMap;
        foreach (var (name, target) in (targets?["components"] as YMap)?.Entries ?? [])
        {
            var path = $"spec.targets.components.{name}";
            if (!set.ComponentNames.Contains(name))
            {
                errors.Add(new(file, target.Line, path, $"names component '{name}', which is not defined in this resource set (components: {string.Join(", ", set.ComponentNames)})"));
            }

            CheckPolicyNames(target["inbound"] as YMap, $"{path}.inbound");
            CheckPolicyNames(target["outbound"] as YMap, $"{path}.outbound");
        }

        foreach (var (name, target) in (targets?["apps"] as YMap)?.Entries ?? [])
        {
            var path = $"spec.targets.apps.{name}";
            if (!appIds.Contains(name))
            {
                errors.Add(new(file, target.Line, path, $"names app id '{name}', which is not one of this system's apps ({string.Join(", ", appIds)})"));
            }

            CheckPolicyNames(target as YMap, path);
        }

        foreach (var (name, target) in (targets?["actors"] as YMap)?.Entries ?? [])
        {
            CheckPolicyNames(target as YMap, $"spec.targets.actors.{name}");
        }
    }

    private static void ValidateConfiguration(string file, YMap root, ResourceSet set, List<ValidationError> errors)
    {
        foreach (var scope in (root["spec"]?["secrets"]?["scopes"] as YSeq)?.Items.OfType<YMap>() ?? [])
        {
            if (scope["storeName"] is YScalar store && !set.SecretStores.Contains(store.Value)
                && !(set.Scope == ResourceScope.Kubernetes && store.Value == BuiltinKubernetesSecretStore))
            {
                errors.Add(new(file, store.Line, "spec.secrets.scopes.storeName", $"names secret store '{store.Value}', which is not defined in this resource set"));
            }

            if (scope["defaultAccess"] is YScalar access && access.Value is not ("allow" or "deny"))
            {
                errors.Add(new(file, access.Line, "spec.secrets.scopes.defaultAccess", $"must be 'allow' or 'deny', found '{access.Value}'"));
            }
        }
    }

    private static void ValidateUniqueNames(List<(ResourceFile File, YMap Root)> documents, List<ValidationError> errors)
    {
        // Dapr refuses two resources of one kind with one name among the folders it loads; within one folder
        // that is always a mistake (alternatives live in sibling folders).
        var groups = documents
            .Where(d => d.Root["metadata"]?["name"]?.AsString() is not null && d.Root["kind"]?.AsString() is not null)
            .GroupBy(d => (d.File.Directory, Kind: d.Root["kind"]!.AsString(), Name: d.Root["metadata"]!["name"]!.AsString()));
        foreach (var group in groups.Where(g => g.Count() > 1))
        {
            var (file, root) = group.Skip(1).First();
            errors.Add(new(file.File, root.Line, "metadata.name",
                $"{group.Key.Kind} '{group.Key.Name}' is also defined in {string.Join(", ", group.Take(1).Select(g => g.File.File))} (same folder)"));
        }
    }

    private static void RequireDuration(string file, string path, YNode? node, List<ValidationError> errors, bool optional = false)
    {
        if (node is null && optional)
        {
            return;
        }

        if (node is not YScalar { Kind: ScalarKind.String } scalar || !GoDuration.TryParse(scalar.Value, out _))
        {
            errors.Add(new(file, node?.Line ?? 0, path, $"'{(node as YScalar)?.Value ?? "(missing)"}' is not a Go duration (e.g. 500ms, 5s, 1m30s, 1h)"));
        }
    }

    private static bool MatchesMetadataType(string value, string type) => type switch
    {
        "bool" => value is "1" or "t" or "T" or "TRUE" or "true" or "True" or "0" or "f" or "F" or "FALSE" or "false" or "False",
        "number" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        "duration" => GoDuration.TryParse(value, out _) || long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        _ => true,
    };

    /// <summary>The accepted name closest to a misspelled one, when it is close enough to be the intended one.</summary>
    public static string? Suggest(string name, IEnumerable<string> accepted)
    {
        string? best = null;
        var bestScore = int.MaxValue;
        foreach (var candidate in accepted)
        {
            var score = candidate.StartsWith(name, StringComparison.OrdinalIgnoreCase) || name.StartsWith(candidate, StringComparison.OrdinalIgnoreCase)
                ? 0
                : Levenshtein(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (score < bestScore)
            {
                (best, bestScore) = (candidate, score);
            }
        }

        return bestScore <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex(@"^\s*(consecutiveFailures|totalFailures|requests|totalSuccesses|consecutiveSuccesses)\s*(>=|>|==|<=|<)\s*\d+\s*((&&|\|\|)\s*(consecutiveFailures|totalFailures|requests|totalSuccesses|consecutiveSuccesses)\s*(>=|>|==|<=|<)\s*\d+\s*)*$")]
    private static partial Regex TripExpression();

    /// <summary>Names defined across the whole set, for cross-references.</summary>
    private sealed class ResourceSet
    {
        public ResourceSet(List<(ResourceFile File, YMap Root)> documents, ResourceScope scope)
        {
            Scope = scope;
            var components = documents.Where(d => d.Root["kind"]?.AsString() == "Component"
                && d.Root["apiVersion"]?.AsString()?.StartsWith(DaprApiGroup, StringComparison.Ordinal) == true).ToList();
            ComponentNames = components.Select(c => c.Root["metadata"]?["name"]?.AsString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
            SecretStores = components
                .Where(c => c.Root["spec"]?["type"]?.AsString()?.StartsWith("secretstores.", StringComparison.Ordinal) == true)
                .Select(c => c.Root["metadata"]?["name"]?.AsString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        }

        public ResourceScope Scope { get; }

        public HashSet<string> ComponentNames { get; }

        public HashSet<string> SecretStores { get; }
    }
}
