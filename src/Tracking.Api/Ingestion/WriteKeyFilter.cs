namespace Tracking.Api.Ingestion;

/// <summary>
/// Authenticates a write key sent in the <c>Authorization</c> header (401 when unknown) and spends
/// its rate (429) before the body costs any reading. Requests without the header (beacons, which
/// carry <c>writeKey</c> in the body) pass on to be judged once the body is parsed.
/// </summary>
internal sealed class WriteKeyFilter(WriteKeys writeKeys, WriteKeyRateLimiter rateLimiter) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var headerKey = WriteKeys.FromAuthorizationHeader(http.Request.Headers.Authorization);
        if (headerKey is null)
        {
            return next(context);
        }

        if (Authenticate(http, headerKey) is { } refusal)
        {
            return ValueTask.FromResult<object?>(refusal);
        }

        return next(context);
    }

    /// <summary>Maps <paramref name="writeKey"/> to its source and takes a permit; a refusal when either fails.</summary>
    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Authenticate(HttpContext http, string? writeKey)
    {
        var source = writeKeys.SourceOf(writeKey);
        if (source is null)
        {
            return Refusals.UnknownWriteKey(http);
        }

        if (!rateLimiter.TryAcquire(writeKey!, out var wait))
        {
            return Refusals.TooManyRequests(http, wait, "This write key");
        }

        http.Features.Set(new AuthenticatedSource(source));
        return null;
    }
}
