using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace ModeRefresh.Refresh.Mode;

/// <summary>
/// A Mode API token and secret, kept only as the ready Basic header. Deliberately not a record: a generated
/// ToString would print the secret into any log line or exception that mentions it.
/// </summary>
public sealed class ModeCredential
{
    private readonly byte[] raw;

    public ModeCredential(string token, string secret)
    {
        raw = Encoding.UTF8.GetBytes($"{token}:{secret}");
        Header = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(raw));
    }

    public AuthenticationHeaderValue Header { get; }

    public bool SameAs(ModeCredential other) => CryptographicOperations.FixedTimeEquals(raw, other.raw);

    public override string ToString() => "ModeCredential(***)";
}
