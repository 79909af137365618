using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Admin;

using Tracking.ServiceDefaults;

namespace Tracking.Api.Status;

/// <summary><c>/status</c> for people and <c>/status.json</c> for scripts: traffic, delivery, spool, sink and consumer at a glance.</summary>
internal static class StatusApi
{
    public const string Tag = "Operations";

    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/status", () => AdminAssets.File("status.html")).AsAdminPage();
        app.MapGet("/status.json", GetStatusAsync)
            .RequireAdmin()
            .WithName("Status")
            .WithTags(Tag)
            .WithSummary("The API's status: traffic, delivery, spool, sink health, consumer lag and the last 15 minutes")
            .WithDescription(
                "Counts since start (events accepted, messages rejected by reason, ingestion requests refused by status, events delivered, failed, recovered), " +
                "the spool's depth and oldest age, the sink's health and last error, each readiness check, a sample every 5 s for the last 15 minutes, " +
                "and, with Tracking:Status:ConsumerUrl, the consumer's lag per shard or why it is unreachable. " +
                "Authenticate with the admin key as a bearer token or the session cookie of /admin/login.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    private static async Task<Ok<StatusReport>> GetStatusAsync(StatusReporter reporter, ConsumerStatusClient consumer, CancellationToken cancellationToken) =>
        TypedResults.Ok(await reporter.ReportAsync(consumer, cancellationToken));
}
