using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Admin;

using Tracking.ServiceDefaults;

namespace Tracking.Api.Debugger;

/// <summary><c>/debugger</c>: accepted events and refused messages as they arrive, for people; <c>/debugger/events</c>: the same as server-sent events.</summary>
internal static class DebuggerApi
{
    public static IEndpointRouteBuilder MapDebuggerApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/debugger", () => AdminAssets.File("debugger.html")).AsAdminPage();
        app.MapGet("/debugger/events", Stream)
            .RequireAdmin()
            .WithName("DebuggerEvents")
            .WithTags(Status.StatusApi.Tag)
            .WithSummary("Accepted events and refused messages as they arrive (server-sent events)")
            .WithDescription(
                "A text/event-stream of accepted events, each an 'event' whose data is the enriched JSON (with its tracking plan 'violations', if any; " +
                "a 'quarantined' instead when a plan in Block mode kept it out of the main stream), and of refusals, each a 'refused' whose data is " +
                "{refused, status, title, detail, errors, path, receivedAt, source, index, messages, type, event, messageId, userId, anonymousId} " +
                "(a refused request, or one refused item of a batch; never the write key nor the message's content); each id is unique (the process's prefix and the number since it started): " +
                $"first the last events kept (at most {EventTap.Capacity}, taken only while a debugger is connected), then each new one. " +
                "Authenticate with the admin key as a bearer token or the session cookie of /admin/login.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    private static ServerSentEventsResult<string> Stream(EventTap tap, HttpContext http, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        // Proxies such as nginx would otherwise buffer the stream.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(Events(tap, lifetime.ApplicationStopping, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(EventTap tap, CancellationToken stopping, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A stream ends when the app stops: an open debugger must not hold a graceful shutdown (and the spool's drain) to its timeout.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
        cancellationToken = ended.Token;
        using var watch = tap.Connect();

        // A first item at once, so the browser knows it is connected even when nothing arrives.
        yield return new SseItem<string>(tap.Watching.ToString(CultureInfo.InvariantCulture), "connected");
        foreach (var e in watch.Recent)
        {
            yield return Item(e);
        }

        while (true)
        {
            TappedEvent next;
            try
            {
                if (!await watch.Events.WaitToReadAsync(cancellationToken))
                {
                    yield break;
                }

                if (!watch.Events.TryRead(out next))
                {
                    continue;
                }
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            yield return Item(next);
        }
    }

    private static SseItem<string> Item(TappedEvent e) =>
        new(Encoding.UTF8.GetString(e.Json), e.Refused ? "refused" : e.Quarantined ? "quarantined" : "event") { EventId = e.Id };
}
