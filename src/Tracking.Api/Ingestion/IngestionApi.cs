using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Documentation;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>The Segment-compatible HTTP Tracking API: <c>/v1/track</c>, <c>/v1/identify</c>, ... and <c>/v1/batch</c>.</summary>
internal static class IngestionApi
{
    public const string Tag = "Tracking API";

    public static IEndpointRouteBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        // Resolved now rather than at the first request, so a missing-keys warning shows at start-up.
        _ = app.ServiceProvider.GetRequiredService<WriteKeys>();

        var v1 = app.MapGroup("/v1")
            .WithTags(Tag)
            .RequireCors(CorsSetup.PolicyName);

        v1.MapPost("/track", Track)
            .WithName("Track")
            .WithSummary("Record an action a user performed")
            .WithDescription("A track message names the action in 'event' and describes it in 'properties'.")
            .WithMetadata(new RequestBodySchema(typeof(TrackMessage)))
            .WithIngestionResponses();

        v1.MapPost("/identify", Identify)
            .WithName("Identify")
            .WithSummary("Tie a user to their traits")
            .WithDescription("An identify message records who the user is: 'userId' and 'traits' such as email or plan.")
            .WithMetadata(new RequestBodySchema(typeof(IdentifyMessage)))
            .WithIngestionResponses();

        v1.MapPost("/page", Page)
            .WithName("Page")
            .WithSummary("Record a page view on a website")
            .WithMetadata(new RequestBodySchema(typeof(PageMessage)))
            .WithIngestionResponses();

        v1.MapPost("/screen", Screen)
            .WithName("Screen")
            .WithSummary("Record a screen view in a mobile app")
            .WithMetadata(new RequestBodySchema(typeof(PageMessage)))
            .WithIngestionResponses();

        v1.MapPost("/group", Group)
            .WithName("Group")
            .WithSummary("Tie a user to a group such as a company or account")
            .WithMetadata(new RequestBodySchema(typeof(GroupMessage)))
            .WithIngestionResponses();

        v1.MapPost("/alias", Alias)
            .WithName("Alias")
            .WithSummary("Merge a previous identity into a user")
            .WithMetadata(new RequestBodySchema(typeof(AliasMessage)))
            .WithIngestionResponses();

        v1.MapPost("/batch", Batch)
            .WithName("Batch")
            .WithSummary("Send many messages of any type in one request")
            .WithDescription("Each item of 'batch' carries its own 'type'. Valid items are accepted even when others are not; the answer lists each refused index with its reasons.")
            .WithMetadata(new RequestBodySchema(typeof(BatchRequest)))
            .WithIngestionResponses();

        v1.MapPost("/import", Batch)
            .WithName("Import")
            .WithSummary("Same as /v1/batch, for SDKs that import historical data")
            .WithMetadata(new RequestBodySchema(typeof(BatchRequest)))
            .WithIngestionResponses();

        return app;
    }

    private static RouteHandlerBuilder WithIngestionResponses(this RouteHandlerBuilder route) => route
        .Produces<IngestionResponse>()
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Track(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, EventType.Track, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Identify(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, EventType.Identify, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Page(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, EventType.Page, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Screen(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, EventType.Screen, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Group(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, EventType.Group, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Alias(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, EventType.Alias, cancellationToken);

    private static Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> Batch(HttpContext http, IngestionHandler handler, CancellationToken cancellationToken) =>
        handler.HandleAsync(http, null, cancellationToken);
}
