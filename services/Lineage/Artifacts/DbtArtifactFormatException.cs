namespace ModeRefresh.Lineage.Artifacts;

/// <summary>
/// A dbt artifact (manifest.json, run_results.json) that cannot be read. The message says which file, what is wrong
/// and where (a byte offset and a short path such as <c>$.nodes.*.depends_on.nodes</c>), never any of the file's
/// content: artifacts hold SQL and project metadata that do not belong in logs or dead letters.
/// </summary>
public abstract class DbtArtifactFormatException : Exception
{
    private protected DbtArtifactFormatException(string artifact, string reason, long? bytePosition)
        : base(bytePosition is { } at ? $"{artifact} cannot be read: {reason} (near byte {at})" : $"{artifact} cannot be read: {reason}")
    {
        Artifact = artifact;
        Reason = reason;
        BytePosition = bytePosition;
    }

    /// <summary>The file's name: <c>manifest.json</c> or <c>run_results.json</c>.</summary>
    public string Artifact { get; }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>Offset from the start of the file where reading stopped, when known.</summary>
    public long? BytePosition { get; }
}

/// <summary>manifest.json is not a dbt manifest this reader understands (not JSON, truncated, wrong shape, too large a value).</summary>
public sealed class ManifestFormatException : DbtArtifactFormatException
{
    public ManifestFormatException(string reason, long? bytePosition = null)
        : base("manifest.json", reason, bytePosition)
    {
    }
}

/// <summary>run_results.json is not a dbt run-results artifact this reader understands.</summary>
public sealed class RunResultsFormatException : DbtArtifactFormatException
{
    public RunResultsFormatException(string reason, long? bytePosition = null)
        : base("run_results.json", reason, bytePosition)
    {
    }
}
