using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Documentation;
using Tracking.Api.Limits;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// The Segment-compatible HTTP Tracking API: <c>/v1/track</c>, <c>/v1/identify</c>, ... and <c>/v1/batch</c>,
/// each also under the one-letter path analytics.js 2.0 posts to (<c>/v1/t</c>, ... <c>/v1/b</c>), and
/// <c>/v1/m</c>, where analytics.js reports its own metrics.
/// </summary>
internal static class IngestionApi
{
    public const string Tag = "Tracking API";

    public static IEndpointRouteBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        // Resolved now rather than at the first request, so a missing-keys warning shows at start-up.
        var writeKeys = app.ServiceProvider.GetRequiredService<WriteKeyFilter>();

        // Each refusal that needs no body comes before the body is read: address rate, encoding, header key, full queue.
        var v1 = app.MapGroup("/v1")
            .WithTags(Tag)
            .RequireCors(CorsSetup.PolicyName)
            .WithIngestionLimits()
            .AddEndpointFilterFactory(TapRefusals(app.ServiceProvider.GetRequiredService<Debugger.RefusalTap>()))
            .AddEndpointFilter(app.ServiceProvider.GetRequiredService<ClientAddressFilter>());

        var messages = v1.MapGroup("")
            .AddEndpointFilter(new ContentEncodingFilter())
            .AddEndpointFilter(writeKeys)
            .AddEndpointFilter(app.ServiceProvider.GetRequiredService<QueueAdmissionFilter>());

        messages.MapMessage("track", EventType.Track, "Track", typeof(TrackMessage), "Record an action a user performed",
            "A track message names the action in 'event' and describes it in 'properties'.");
        messages.MapMessage("identify", EventType.Identify, "Identify", typeof(IdentifyMessage), "Tie a user to their traits",
            "An identify message records who the user is: 'userId' and 'traits' such as email or plan.");
        messages.MapMessage("page", EventType.Page, "Page", typeof(PageMessage), "Record a page view on a website");
        messages.MapMessage("screen", EventType.Screen, "Screen", typeof(PageMessage), "Record a screen view in a mobile app");
        messages.MapMessage("group", EventType.Group, "Group", typeof(GroupMessage), "Tie a user to a group such as a company or account");
        messages.MapMessage("alias", EventType.Alias, "Alias", typeof(AliasMessage), "Merge a previous identity into a user");
        messages.MapMessage("batch", null, "Batch", typeof(BatchRequest), "Send many messages of any type in one request",
            "Each item of 'batch' carries its own 'type'. Valid items are accepted even when others are not; the answer lists each refused index with its reasons.");

        messages.MapPost("/import", Batch)
            .WithName("Import")
            .WithSummary("Same as /v1/batch, for SDKs that import historical data")
            .WithMetadata(new RequestBodySchema(typeof(BatchRequest)))
            .WithIngestionResponses();

        v1.MapPost("/m", ClientMetrics.ReceiveAsync)
            .WithName("ClientMetrics")
            .WithSummary("Take analytics.js's reports about itself")
            .WithDescription("analytics.js 2.0 posts counters about its own work here. They are counted (tracking.client_metrics) and not stored as events; no write key is needed.")
            .Produces<ClientMetricsResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        return app;
    }

    /// <summary>The debugger's view of refusals, outermost so it sees every filter's; not for analytics.js's own metrics, which are no messages.</summary>
    private static Func<EndpointFilterFactoryContext, EndpointFilterDelegate, EndpointFilterDelegate> TapRefusals(Debugger.RefusalTap refusals) =>
        (factory, next) => factory.MethodInfo.DeclaringType == typeof(ClientMetrics) ? next : context => refusals.InvokeAsync(context, next);

    /// <summary>Maps <c>/v1/{path}</c> and, hidden from the document, the one-letter alias analytics.js 2.0 uses (its first letter).</summary>
    private static void MapMessage(this RouteGroupBuilder group, string path, EventType? type, string name, Type schema, string summary, string? description = null)
    {
        var handler = type is { } t ? Single(t) : Batch;
        var shortPath = "/" + path[0];
        group.MapPost("/" + path, handler)
            .WithName(name)
            .WithSummary(summary)
            .WithDescription($"{description}{(description is null ? "" : " ")}Also at /v1{shortPath}, the path analytics.js 2.0 posts to.")
            .WithMetadata(new RequestBodySchema(schema))
            .WithIngestionResponses();
        group.MapPost(shortPath, handler).ExcludeFromDescription();
    }

    private static RouteHandlerBuilder WithIngestionResponses(this RouteHandlerBuilder route) => route
        .Produces<IngestionResponse>()
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status408RequestTimeout)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static Func<HttpContext, IngestionHandler, CancellationToken, Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>>> Single(EventType type) =>
        (http, handler, cancellationToken) => handler.HandleAsync(http, type, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Batch(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, null, cancellationToken);
}
