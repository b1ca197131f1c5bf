using System.Buffers;

// The ceiling: same host defaults as Ingress (WebApplication.CreateBuilder, minimal API, Kestrel), reads the whole
// body into a pooled buffer and answers 202 with no body. Everything Ingress does beyond this is its own cost.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/readyz", () => TypedResults.Ok());
app.MapPost("/webhooks/dbt", async (HttpRequest request, CancellationToken ct) =>
{
    var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    try
    {
        var length = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
            if (length == buffer.Length) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
});
app.Run();
