using Microsoft.Extensions.Options;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// A user sets configuration keys, not C# properties. The source-generated data-annotation validators
/// (<c>[OptionsValidator]</c>) name the property: <c>MaxBodyBytes: The field IngressOptions.MaxBodyBytes must be …</c>.
/// This rewrites their failures to name the key instead: <c>Ingress:MaxBodyBytes must be …</c>.
/// </summary>
public static class OptionsKeyNames
{
    /// <param name="result">What the generated validator answered.</param>
    /// <param name="typeName">The options class's name as the generator writes it (e.g. <c>IngressOptions</c>).</param>
    /// <param name="sectionName">The configuration section the class is bound to (e.g. <c>Ingress</c>).</param>
    public static ValidateOptionsResult Rewrite(ValidateOptionsResult result, string typeName, string sectionName)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Failed || result.Failures is null) return result;
        return ValidateOptionsResult.Fail(result.Failures.Select(f => Rewrite(f, typeName, sectionName)));
    }

    /// <summary>
    /// One failure: the generator's <c>Member: </c> prefix dropped, <c>Type.Member</c> made <c>Section:Member</c>, and
    /// the data annotations' default wording put key first (<c>The field X must …</c> → <c>X must …</c>,
    /// <c>The X field is required.</c> → <c>X is required.</c>). (The generator's copy of <c>[Range]</c> ignores
    /// <c>ErrorMessage</c>, so rewording here is the one way that covers every attribute.)
    /// </summary>
    public static string Rewrite(string failure, string typeName, string sectionName)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var property = typeName + ".";
        var at = failure.IndexOf(property, StringComparison.Ordinal);
        if (at < 0) return failure;

        var colon = failure.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && colon < at && failure.AsSpan(0, colon).IndexOfAnyExcept(IdentifierChars) < 0)
        {
            failure = failure[(colon + 2)..];
        }

        failure = failure.Replace(property, sectionName + ":", StringComparison.Ordinal);
        const string TheField = "The field ";
        if (failure.StartsWith(TheField + sectionName + ":", StringComparison.Ordinal)) return failure[TheField.Length..];
        const string The = "The ", FieldIsRequired = " field is required.";
        if (failure.StartsWith(The + sectionName + ":", StringComparison.Ordinal) && failure.EndsWith(FieldIsRequired, StringComparison.Ordinal))
        {
            return failure[The.Length..^FieldIsRequired.Length] + " is required.";
        }

        return failure;
    }

    private static readonly System.Buffers.SearchValues<char> IdentifierChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
}
