using System.Text;

namespace ModeRefresh.Ingress.Keys;

/// <summary>
/// One secret may hold several webhook keys (rotation, or several dbt webhook subscriptions),
/// separated by commas, semicolons, spaces, tabs or line breaks (README says so: a key never contains one).
/// </summary>
public static class KeyListParser
{
    internal static readonly char[] Separators = [',', ' ', '\t', '\r', '\n', ';'];

    public static IReadOnlyList<byte[]> Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return [];
        return value.Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal)
            .Select(k => Encoding.UTF8.GetBytes(k))
            .ToArray();
    }
}
