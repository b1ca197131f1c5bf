using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModeRefresh.Contracts;
using ModeRefresh.Ingress.Publishing;
using ModeRefresh.Ingress.Webhooks;

// Allocations per verified request on Ingress's own hot path: SignatureVerifier.Verify + DbtRunEventReader.TryRead
// + the publish payload (JsonSerializer.SerializeToUtf8Bytes, source-generated) + the publish metadata.
// Usage: Micro <payload.json> [iterations]. Prints one line per measured part: "name bytes/op ns/op".
var body = File.ReadAllBytes(args.Length > 0 ? args[0] : "payload.json");
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
var keys = new List<byte[]> { Encoding.UTF8.GetBytes("bench-webhook-key") };
var signature = Convert.ToHexStringLower(HMACSHA256.HashData(keys[0], body));
var forged = new string('0', 64);

Measure("verify", () => { if (!SignatureVerifier.Verify(body, signature, keys)) throw new InvalidOperationException("verify"); });
Measure("verify-forged", () => { if (SignatureVerifier.Verify(body, forged, keys)) throw new InvalidOperationException("forged"); });
Measure("parse", () => { if (!DbtRunEventReader.TryRead(body, "body", out _, out _)) throw new InvalidOperationException("parse"); });
DbtRunEventReader.TryRead(body, "body", out var evt, out _);
Measure("serialize", () => JsonSerializer.SerializeToUtf8Bytes(evt!, ContractsJsonContext.Default.DbtRunEvent));
Measure("metadata", () => EventPublisher.AddMetadata(new Google.Protobuf.Collections.MapField<string, string>(), evt!));
Measure("verified-total", () =>
{
    if (!SignatureVerifier.Verify(body, signature, keys)) throw new InvalidOperationException("verify");
    DbtRunEventReader.TryRead(body, "body", out var e, out _);
    JsonSerializer.SerializeToUtf8Bytes(e!, ContractsJsonContext.Default.DbtRunEvent);
    EventPublisher.AddMetadata(new Google.Protobuf.Collections.MapField<string, string>(), e!);
});

void Measure(string name, Action op)
{
    // Warm up by time, not only by count: tier-1 (PGO) code replaces tier-0 only after ~100 ms without new tier-0 work.
    var warm = Stopwatch.StartNew();
    for (var i = 0; i < 20_000 || warm.ElapsedMilliseconds < 1_000; i++) op();
    GC.Collect();
    var before = GC.GetAllocatedBytesForCurrentThread();
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++) op();
    clock.Stop();
    var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)iterations;
    var ns = clock.Elapsed.TotalNanoseconds / iterations;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {bytes:F0} {ns:F0}"));
}
