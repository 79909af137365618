using System.Globalization;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;

namespace Tracking.Api.Ingestion;

/// <summary>
/// While the queue to the sink is full, answers 503 before the body is read: a body the API cannot
/// accept is not worth its memory, and the client retries after <c>Retry-After</c> anyway.
/// </summary>
internal sealed class QueueAdmissionFilter(IEventQueue queue, IOptions<QueueOptions> options) : IEndpointFilter
{
    private readonly string _retryAfter = options.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        queue.IsFull
            ? ValueTask.FromResult<object?>(Refusals.QueueFull(context.HttpContext, _retryAfter))
            : next(context);
}
