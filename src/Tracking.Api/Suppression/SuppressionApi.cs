using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Admin;
using Tracking.Events;

using Tracking.ServiceDefaults;

namespace Tracking.Api.Suppression;

/// <summary>
/// <c>/admin/suppressions</c>: list, add and remove the user ids and anonymous ids whose events are answered 200 and
/// not stored. Behind <c>Tracking:AdminKey</c>, and not served without it.
/// </summary>
internal static class SuppressionApi
{
    public const string Tag = "Privacy";

    public static IEndpointRouteBuilder MapSuppressionApi(this IEndpointRouteBuilder app)
    {
        if (!app.AdminEnabled())
        {
            return app;
        }

        var group = app.MapGroup("/admin/suppressions").RequireAdmin().WithTags(Tag).ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapGet("", (SuppressionList list) => TypedResults.Ok(list.List()))
            .WithName("ListSuppressions")
            .WithSummary("The suppressed user ids and anonymous ids, with when each was added");
        group.MapPost("", AddAsync)
            .WithName("Suppress")
            .WithSummary("Suppresses a userId or an anonymousId: its events are answered 200 and dropped before anything stores them")
            .WithDescription(
                "The body names exactly one of userId and anonymousId. 201 when it is added, 200 when it already was. " +
                "Every instance sharing the list's file (Tracking:Suppression:Path) drops its events within Tracking:Suppression:ReloadInterval. " +
                "Events already stored are not touched: the consumer's /admin/regulations deletes them from the warehouse.");
        group.MapDelete("/userId/{id}", (string id, SuppressionList list, CancellationToken cancellationToken) => RemoveAsync(IdKind.UserId, id, list, cancellationToken))
            .WithName("UnsuppressUserId")
            .WithSummary("Lifts the suppression of a userId: its events are stored again from now on");
        group.MapDelete("/anonymousId/{id}", (string id, SuppressionList list, CancellationToken cancellationToken) => RemoveAsync(IdKind.AnonymousId, id, list, cancellationToken))
            .WithName("UnsuppressAnonymousId")
            .WithSummary("Lifts the suppression of an anonymousId: its events are stored again from now on");
        return app;
    }

    private static async Task<Results<Created<SuppressedId>, Ok<SuppressedId>, ValidationProblem, ProblemHttpResult>> AddAsync(
        SuppressionRequest request, SuppressionList list, CancellationToken cancellationToken)
    {
        var given = (request.UserId, request.AnonymousId) switch
        {
            ({ } user, null) => (IdKind.UserId, user),
            (null, { } anonymous) => (IdKind.AnonymousId, anonymous),
            _ => ((IdKind Kind, string Id)?)null,
        };
        if (given is not { } suppress)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["Give exactly one of userId and anonymousId."] });
        }

        if (suppress.Id.Length is 0 or > ProtocolLimits.MaxIdentifierLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [suppress.Kind == IdKind.UserId ? "userId" : "anonymousId"] = [$"An id has 1 to {ProtocolLimits.MaxIdentifierLength} characters, as in a message."],
            });
        }

        try
        {
            var (entry, added) = await list.AddAsync(suppress.Kind, suppress.Id, cancellationToken);
            return added ? TypedResults.Created((string?)null, entry) : TypedResults.Ok(entry);
        }
        catch (IOException ex)
        {
            return NotWritten(list, ex);
        }
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveAsync(IdKind kind, string id, SuppressionList list, CancellationToken cancellationToken)
    {
        try
        {
            return await list.RemoveAsync(kind, id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();
        }
        catch (IOException ex)
        {
            return NotWritten(list, ex);
        }
    }

    private static ProblemHttpResult NotWritten(SuppressionList list, IOException ex) => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "The suppression list could not be changed",
        detail: $"Writing {list.FilePath} failed ({ex.Message}); nothing changed. Try again once the file and its folder are writable.");
}
