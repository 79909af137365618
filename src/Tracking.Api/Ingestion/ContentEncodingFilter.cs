namespace Tracking.Api.Ingestion;

/// <summary>
/// Refuses a body in an encoding the API cannot read (415). The request decompression middleware
/// has already undone gzip, deflate and br and removed their header, so any encoding still named is
/// one it does not know (<c>identity</c>, meaning none, is fine). The content type is not judged: bodies are read as JSON whatever it says.
/// </summary>
internal sealed class ContentEncodingFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var encoding = context.HttpContext.Request.Headers.ContentEncoding;
        return encoding.Count > 0 && !(encoding.Count == 1 && string.Equals(encoding[0], "identity", StringComparison.OrdinalIgnoreCase))
            ? ValueTask.FromResult<object?>(Refusals.UnsupportedEncoding(encoding.ToString()))
            : next(context);
    }
}
