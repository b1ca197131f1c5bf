namespace ModeRefresh.Resources.Tests.Validation;

/// <summary>One metadata field a component accepts.</summary>
public sealed record MetadataField(string Name, bool Required, string? Type, IReadOnlyList<string> AllowedValues, bool Deprecated);

/// <summary>An authentication profile: an alternative set of fields, one of which must be satisfied.</summary>
public sealed record AuthProfile(string Title, IReadOnlyList<MetadataField> Fields);

/// <summary>
/// A component type/version: its metadata fields and authentication profiles, from the project's facts
/// (<see cref="DaprFacts"/>) or from components-contrib's metadata.yaml (<see cref="DaprReference"/>).
/// </summary>
/// <param name="RuntimeFields">Fields daprd reads itself on every component of the kind (consumerID, keyPrefix, ...).</param>
public sealed record ComponentDefinition(
    string Type,
    string Version,
    string SourceFile,
    IReadOnlyList<MetadataField> Fields,
    IReadOnlyList<AuthProfile> Profiles,
    IReadOnlyList<string> RuntimeFields)
{
    /// <summary>Every field name the runtime accepts for this component (base, profiles, runtime-wide extras).</summary>
    public IReadOnlySet<string> AcceptedNames { get; } = Fields.Select(f => f.Name)
        .Concat(Profiles.SelectMany(p => p.Fields).Select(f => f.Name))
        .Concat(RuntimeFields)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Groups of fields of which exactly one must be set, where the runtime contradicts the metadata.yaml.</summary>
    public IReadOnlyList<IReadOnlyList<string>> ExactlyOneOf { get; init; } = [];

    /// <summary>Secret stores only: when a changed secret becomes visible (atStart, processEnvironment, perRequest).</summary>
    public string? SecretReads { get; init; }

    /// <summary>Where <see cref="SecretReads"/> was read in the component's source.</summary>
    public string? SecretReadsSource { get; init; }

    /// <summary>
    /// Facts only: why the Dapr reference (../shared/dapr-reference) has no metadata.yaml to check this entry against,
    /// and where it was condensed from instead. Null: the reference must have it.
    /// </summary>
    public string? NotInReference { get; init; }

    public IEnumerable<MetadataField> DefinitionsOf(string name) =>
        Fields.Concat(Profiles.SelectMany(p => p.Fields)).Where(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
