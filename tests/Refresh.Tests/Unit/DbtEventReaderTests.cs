using System.Text;
using ModeRefresh.Refresh.Subscription;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Refresh.Tests.Unit;

/// <summary>
/// The envelope's part of reading a delivery's data; the event's rules are the shared reader's
/// (tests/Contracts.Tests/DbtRunEventReaderTests.cs).
/// </summary>
public sealed class DbtEventReaderTests
{
    private static readonly string Sample = DbtPayloads.CompletedBody(eventId: "wev_2L6ZDoilyiWzKkSA59Gmc2d7FDD");

    [Fact]
    public void TryParse_EventSentAsJsonString_Unwrapped()
    {
        var wrapped = System.Text.Json.JsonSerializer.Serialize(Sample);

        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(wrapped), out _);

        Assert.Equal("12345", evt?.Data.RunId);
    }

    [Fact]
    public void TryParse_JsonStringHoldingABadEvent_TheReadersReason()
    {
        var wrapped = System.Text.Json.JsonSerializer.Serialize(Sample.Replace("\"runId\":\"12345\"", "\"runId\":\"1\\n2\"", StringComparison.Ordinal));

        var evt = DbtEventReader.TryParse(Encoding.UTF8.GetBytes(wrapped), out var error);

        Assert.Null(evt);
        Assert.Equal("field runId must not contain control characters or line breaks", error);
    }

    [Fact]
    public void TryParse_NoData_NullWithReason()
    {
        var evt = DbtEventReader.TryParse(ReadOnlyMemory<byte>.Empty, out var error);

        Assert.Null(evt);
        Assert.Equal("data is missing", error);
    }
}
