using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>
/// Compares the project's facts (<see cref="DaprFacts"/>) with Dapr's own files (<see cref="DaprReference"/>): every
/// metadata field we list exists in Dapr's metadata with the same required-ness and type, and accepts no value Dapr
/// refuses; every field Dapr requires is required in our facts too; every shape field exists in the CRD schema with
/// the same type and required-ness; every run-file key is one the reference lists. Each mismatch is one line.
/// </summary>
public static partial class FactsCrossCheck
{
    public static List<string> All(DaprFacts facts, DaprReference reference, string referenceReadme)
    {
        var problems = new List<string>();
        foreach (var ours in facts.Components)
        {
            var theirs = reference.Component(ours.Type, ours.Version);
            if (theirs is null)
            {
                // An entry marked notInReference says where else it was read; one that is not must be in the reference.
                if (ours.NotInReference is null)
                {
                    problems.Add($"{ours.Type} {ours.Version}: no metadata.yaml for it in the Dapr reference");
                }

                continue;
            }

            if (ours.NotInReference is not null)
            {
                problems.Add($"{ours.Type} {ours.Version}: marked notInReference, but the Dapr reference has it: drop the mark so it is compared");
                continue;
            }

            problems.AddRange(Component(ours, theirs));
        }

        foreach (var kind in facts.Kinds)
        {
            var schema = reference.Schema(kind.Kind, kind.Version);
            if (schema is null)
            {
                problems.Add($"{kind.Kind} {kind.ApiVersion}: no such CRD version in the Dapr reference ({kind.CrdFile})");
                continue;
            }

            problems.AddRange(Shape(kind.Shape, schema, kind.Kind));
        }

        problems.AddRange(RunFile(facts.RunFileShape, referenceReadme));
        return problems;
    }

    /// <summary>Our facts for one component against Dapr's metadata.yaml for it.</summary>
    public static IEnumerable<string> Component(ComponentDefinition ours, ComponentDefinition theirs)
    {
        var at = $"{ours.Type} {ours.Version}";
        foreach (var field in ours.Fields)
        {
            var match = theirs.Fields.FirstOrDefault(f => f.Name == field.Name);
            if (match is null)
            {
                yield return $"{at}: field '{field.Name}' is not a field of Dapr's metadata.yaml (of its base fields)";
                continue;
            }

            foreach (var problem in Field($"{at}: field '{field.Name}'", field, match))
            {
                yield return problem;
            }
        }

        foreach (var required in theirs.Fields.Where(f => f.Required && ours.Fields.All(o => o.Name != f.Name)))
        {
            yield return $"{at}: Dapr requires '{required.Name}', which the facts do not list";
        }

        foreach (var profile in ours.Profiles)
        {
            var match = theirs.Profiles.FirstOrDefault(p => p.Title == profile.Title);
            if (match is null)
            {
                yield return $"{at}: authentication profile '{profile.Title}' is not one of Dapr's ({string.Join("; ", theirs.Profiles.Select(p => p.Title))})";
                continue;
            }

            foreach (var field in profile.Fields)
            {
                var theirField = match.Fields.FirstOrDefault(f => f.Name == field.Name);
                if (theirField is null)
                {
                    yield return $"{at}: profile '{profile.Title}': field '{field.Name}' is not in Dapr's profile";
                    continue;
                }

                foreach (var problem in Field($"{at}: profile '{profile.Title}': field '{field.Name}'", field, theirField))
                {
                    yield return problem;
                }
            }

            foreach (var required in match.Fields.Where(f => f.Required && profile.Fields.All(o => o.Name != f.Name)))
            {
                yield return $"{at}: profile '{profile.Title}': Dapr requires '{required.Name}', which the facts do not list";
            }
        }

        foreach (var extra in ours.RuntimeFields.Except(theirs.RuntimeFields, StringComparer.Ordinal))
        {
            yield return $"{at}: runtime field '{extra}' is not one the Dapr reference lists for this kind of component";
        }
    }

    private static IEnumerable<string> Field(string at, MetadataField ours, MetadataField theirs)
    {
        if (ours.Required != theirs.Required)
        {
            yield return $"{at}: required is {Bool(ours.Required)} in the facts, {Bool(theirs.Required)} in Dapr's metadata";
        }

        if (TypeOf(ours) != TypeOf(theirs))
        {
            yield return $"{at}: type is {TypeOf(ours)} in the facts, {TypeOf(theirs)} in Dapr's metadata";
        }

        if (theirs.AllowedValues.Count == 0 && ours.AllowedValues.Count > 0)
        {
            yield return $"{at}: the facts allow only {string.Join(", ", ours.AllowedValues)}, Dapr's metadata allows any value";
        }
        else if (theirs.AllowedValues.Count > 0 && (ours.AllowedValues.Count == 0 || ours.AllowedValues.Except(theirs.AllowedValues).Any()))
        {
            yield return $"{at}: allowed values are [{string.Join(", ", ours.AllowedValues)}] in the facts, [{string.Join(", ", theirs.AllowedValues)}] in Dapr's metadata";
        }

        static string Bool(bool value) => value ? "true" : "false";
    }

    private static string TypeOf(MetadataField field) => field.Type ?? "string";

    /// <summary>
    /// A shape in the facts' notation against a CRD's openAPIV3Schema: each field we list exists there, with the same
    /// type and the same required-ness. Below a free-form object of the CRD (metadata) anything is accepted.
    /// </summary>
    public static IEnumerable<string> Shape(YNode ours, YMap crd, string path)
    {
        if (IsFreeForm(crd))
        {
            yield break; // e.g. metadata: {type: object}; Kubernetes' own ObjectMeta rules apply there
        }

        var crdType = crd.Get("type")?.AsString();
        switch (ours)
        {
            case YScalar { Value: "any" }:
                if (crd.Get("x-kubernetes-preserve-unknown-fields") is not YScalar { Value: "true" })
                {
                    yield return $"{path}: the facts accept any value, the CRD says {crdType ?? "(no type)"}";
                }

                break;
            case YScalar { Value: "scalar" }:
                yield return $"{path}: 'scalar' is for the run file only; a CRD field has one type";
                break;
            case YScalar scalar:
                if (crdType != scalar.Value)
                {
                    yield return $"{path}: {scalar.Value} in the facts, {crdType ?? "(no type)"} in the CRD";
                }

                break;
            case YSeq list:
                if (crdType != "array" || crd.Get("items") is not YMap items)
                {
                    yield return $"{path}: a list in the facts, {crdType ?? "(no type)"} in the CRD";
                    break;
                }

                foreach (var problem in Shape(list.Items[0], items, $"{path}[]"))
                {
                    yield return problem;
                }

                break;
            case YMap map when map.Get("*") is { } valueShape:
                if (crd.Get("additionalProperties") is not YMap additional)
                {
                    yield return $"{path}: a map with any keys in the facts, not in the CRD (type {crdType ?? "(none)"})";
                    break;
                }

                foreach (var problem in Shape(valueShape, additional, $"{path}.*"))
                {
                    yield return problem;
                }

                break;
            case YMap map:
                if (crdType is not (null or "object") || crd.Get("properties") is not YMap properties)
                {
                    yield return $"{path}: an object with fields in the facts, {crdType ?? "(no type)"} without properties in the CRD";
                    break;
                }

                var required = ((crd.Get("required") as YSeq)?.Items ?? []).Select(r => r.AsString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
                foreach (var (name, isRequired, shape) in DaprFacts.ShapeFields(map))
                {
                    if (properties.Get(name) is not YMap property)
                    {
                        yield return $"{path}.{name}: not in the CRD schema (it has {string.Join(", ", properties.Keys)})";
                        continue;
                    }

                    if (isRequired != required.Contains(name))
                    {
                        yield return $"{path}.{name}: {(isRequired ? "required" : "optional")} in the facts, {(required.Contains(name) ? "required" : "optional")} in the CRD";
                    }

                    foreach (var problem in Shape(shape, property, $"{path}.{name}"))
                    {
                        yield return problem;
                    }
                }

                foreach (var name in required.Where(r => DaprFacts.ShapeFields(map).All(f => f.Name != r)))
                {
                    yield return $"{path}.{name}: required by the CRD, missing from the facts";
                }

                break;
        }
    }

    private static bool IsFreeForm(YMap crd) =>
        crd.Get("properties") is null && crd.Get("additionalProperties") is null && crd.Get("items") is null
        && crd.Get("type")?.AsString() is "object";

    /// <summary>Every key of our run-file shape is one the reference README lists as accepted by the Dapr CLI.</summary>
    public static IEnumerable<string> RunFile(YNode shape, string referenceReadme)
    {
        var start = referenceReadme.IndexOf("Multi-app run file (dapr.yaml) keys", StringComparison.Ordinal);
        if (start < 0)
        {
            yield return "the Dapr reference README lists no run-file keys (no 'Multi-app run file (dapr.yaml) keys' paragraph)";
            yield break;
        }

        var end = referenceReadme.IndexOf("\n\n", start, StringComparison.Ordinal);
        var listed = Word().Matches(referenceReadme[start..(end < 0 ? referenceReadme.Length : end)]).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var key in Keys(shape, string.Empty).Where(k => !listed.Contains(k.Key)))
        {
            yield return $"run file: {key.Path} is not a key the Dapr reference lists for dapr.yaml";
        }
    }

    private static IEnumerable<(string Key, string Path)> Keys(YNode shape, string path) => shape switch
    {
        YSeq list => Keys(list.Items[0], path + "[]"),
        YMap map when map.Get("*") is not null => [],
        YMap map => DaprFacts.ShapeFields(map).SelectMany(f => Keys(f.Shape, $"{path}.{f.Name}".TrimStart('.')).Prepend((f.Name, $"{path}.{f.Name}".TrimStart('.')))),
        _ => [],
    };

    [GeneratedRegex("[A-Za-z][A-Za-z0-9]*")]
    private static partial Regex Word();
}
