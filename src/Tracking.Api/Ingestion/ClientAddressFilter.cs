namespace Tracking.Api.Ingestion;

/// <summary>Spends the client address's request rate (429) before anything else of the request is read.</summary>
internal sealed class ClientAddressFilter(ClientAddressRateLimiter limiter) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        return limiter.TryAcquire(Tracking.ServiceDefaults.ClientAddress.KeyOf(http.Connection.RemoteIpAddress), out var wait)
            ? next(context)
            : ValueTask.FromResult<object?>(Refusals.TooManyRequests(http, wait, "This client address"));
    }
}
