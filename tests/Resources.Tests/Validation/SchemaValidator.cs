using System.Globalization;
using System.Text.RegularExpressions;
using ModeRefresh.Resources.Tests.Infrastructure;

namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>
/// Validates a YAML document against an openAPIV3Schema — the subset Dapr's CRDs use, which is also what the
/// project's shape facts compile into (<see cref="DaprFacts.CompileShape"/>): type, properties,
/// required, items, enum, format (int32/int64), pattern, additionalProperties (schema or bool) and
/// x-kubernetes-preserve-unknown-fields. Written here rather than taken from a JSON-schema library because
/// Kubernetes' structural-schema rules differ from plain JSON Schema exactly where it matters: an object with
/// `properties` and no `additionalProperties` has its unknown fields pruned (silently dropped) by the API
/// server, and daprd ignores them in self-hosted mode — so an unknown field is reported as an error (it is a
/// typo that would do nothing), while an object schema without `properties` is free-form. One extension: type
/// `scalar` (any non-null scalar), for values Go's YAML decoder reads into a string whatever their YAML type.
/// </summary>
public static class SchemaValidator
{
    /// <param name="source">What the schema is, for messages about unknown fields (e.g. the facts file).</param>
    public static void Validate(YNode node, YMap schema, string file, string path, List<ValidationError> errors, string source = "the schema")
    {
        if (schema.Get("x-kubernetes-preserve-unknown-fields") is YScalar { Value: "true" } && schema.Get("type") is null)
        {
            return;
        }

        var type = schema.Get("type")?.AsString();
        if (type is not null && !MatchesType(node, type))
        {
            errors.Add(new(file, node.Line, path, $"must be of type {type}, found {Describe(node)}"));
            return;
        }

        if (schema.Get("enum") is YSeq allowed && node is YScalar enumValue
            && allowed.Items.OfType<YScalar>().All(a => a.Value != enumValue.Value))
        {
            errors.Add(new(file, node.Line, path,
                $"value '{enumValue.Value}' is not one of [{string.Join(", ", allowed.Items.OfType<YScalar>().Select(a => a.Value))}]"));
        }

        if (schema.Get("pattern")?.AsString() is { } pattern && node is YScalar patterned
            && !Regex.IsMatch(patterned.Value, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            errors.Add(new(file, node.Line, path, $"value '{patterned.Value}' does not match pattern {pattern}"));
        }

        if (schema.Get("format")?.AsString() is "int32" && node is YScalar { Kind: ScalarKind.Integer } int32
            && !int.TryParse(int32.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            errors.Add(new(file, node.Line, path, $"value {int32.Value} does not fit format int32"));
        }

        switch (node)
        {
            case YMap map:
                ValidateObject(map, schema, file, path, errors, source);
                break;
            case YSeq seq when schema.Get("items") is YMap itemSchema:
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    Validate(seq.Items[i], itemSchema, file, $"{path}[{i}]", errors, source);
                }

                break;
        }
    }

    private static void ValidateObject(YMap map, YMap schema, string file, string path, List<ValidationError> errors, string source)
    {
        var properties = schema.Get("properties") as YMap;
        var additional = schema.Get("additionalProperties");
        var preserveUnknown = schema.Get("x-kubernetes-preserve-unknown-fields") is YScalar { Value: "true" };

        if (schema.Get("required") is YSeq required)
        {
            foreach (var name in required.Items.Select(r => r.AsString()).OfType<string>())
            {
                if (map.Get(name) is null)
                {
                    errors.Add(new(file, map.Line, Join(path, name), "required field is missing"));
                }
            }
        }

        foreach (var (key, value) in map.Entries)
        {
            var childPath = Join(path, key);
            if (properties?.Get(key) is YMap propertySchema)
            {
                Validate(value, propertySchema, file, childPath, errors, source);
            }
            else if (additional is YMap additionalSchema)
            {
                Validate(value, additionalSchema, file, childPath, errors, source);
            }
            else if (properties is not null && !preserveUnknown && additional is not YScalar { Value: "true" })
            {
                errors.Add(new(file, value.Line, childPath,
                    $"unknown field (not in {source}; known: {string.Join(", ", properties.Keys)})"));
            }
        }
    }

    private static bool MatchesType(YNode node, string type) => type switch
    {
        "object" => node is YMap,
        "array" => node is YSeq,
        "string" => node is YScalar { Kind: ScalarKind.String },
        "integer" => node is YScalar { Kind: ScalarKind.Integer },
        "number" => node is YScalar { Kind: ScalarKind.Integer or ScalarKind.Number },
        "boolean" => node is YScalar { Kind: ScalarKind.Boolean },
        "scalar" => node is YScalar { Kind: not ScalarKind.Null },
        _ => true,
    };

    private static string Describe(YNode node) => node switch
    {
        YMap => "an object",
        YSeq => "an array",
        YScalar s => $"{s.Kind.ToString().ToLowerInvariant()} '{s.Value}'",
        _ => "?",
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
