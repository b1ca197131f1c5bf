using System.Buffers;
using System.Security.Cryptography;

namespace ModeRefresh.Ingress.Webhooks;

/// <summary>
/// dbt Cloud signs a webhook as the hex HMAC-SHA256 of the raw body, keyed with the webhook's secret,
/// and sends it in <c>Authorization</c>.
/// </summary>
public static class SignatureVerifier
{
    private const int HashBytes = 32;

    /// <summary>
    /// True when <paramref name="signature"/> is the HMAC of <paramref name="body"/> under any of the keys.
    /// The comparison is constant-time over the decoded bytes, and every key is tried whatever matched,
    /// so timing says neither how close a forgery came nor which key was in use.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> body, ReadOnlySpan<char> signature, IReadOnlyList<byte[]> keys)
    {
        signature = signature.Trim();
        // dbt sends lowercase hex; either case decodes. Any other length or character is simply wrong.
        if (signature.Length != HashBytes * 2) return false;
        Span<byte> expected = stackalloc byte[HashBytes];
        if (Convert.FromHexString(signature, expected, out _, out var written) != OperationStatus.Done
            || written != HashBytes)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HashBytes];
        var matched = false;
        for (var i = 0; i < keys.Count; i++)
        {
            HMACSHA256.HashData(keys[i], body, actual);
            matched |= CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        return matched;
    }
}
