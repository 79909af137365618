using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Admin;
using Tracking.Api.Delivery;
using Tracking.Api.Ingestion;

using Tracking.ServiceDefaults;

namespace Tracking.Api.TrackingPlans;

/// <summary>The admin endpoints of the tracking plans: read the quarantine, re-admit or discard from it, draft a plan from traffic. Behind <c>Tracking:AdminKey</c>.</summary>
internal static class TrackingPlansApi
{
    public const string Tag = "Tracking plans";

    /// <summary>The most events one listing returns.</summary>
    public const int MaxListed = 1000;

    public static IEndpointRouteBuilder MapTrackingPlansApi(this IEndpointRouteBuilder app)
    {
        if (!app.AdminEnabled())
        {
            return app;
        }

        var group = app.MapGroup("/admin/quarantine").RequireAdmin().WithTags(Tag);
        group.MapGet("", ListAsync)
            .WithName("QuarantineList")
            .WithSummary("The events tracking plans in Block mode, or bot routing, kept out of the main stream")
            .WithDescription(
                "Events of sources whose plan is in Block mode that broke it (each with its violations), and known bots' events of sources with " +
                "Tracking:Enrichment Bots=Quarantine (each with context.bot): accepted (200), kept in quarantine.ndjson in Tracking:Quarantine:Directory " +
                "on this API instance's disk whatever the sink. Optional filters source, event (a track's event or a page's/screen's name), bot (true: only bots' events; false: only the others) " +
                $"and limit (default 100, at most {MaxListed}). Authenticate with the admin key as a bearer token.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/readmit", ReadmitAsync)
            .WithName("QuarantineReadmit")
            .WithSummary("Moves quarantined events into the main stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithDescription(
                "Re-admits the events the body picks ({messageIds, source, event, bot}; an empty body or {} picks all) into the main queue, violations kept, " +
                "and removes them from the quarantine once queued. complete is false when the queue filled first: call again for the rest. " +
                "An event re-admitted twice (a crash in between) is loaded once: the consumer deduplicates by messageId.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapPost("/discard", DiscardAsync)
            .WithName("QuarantineDiscard")
            .WithSummary("Deletes quarantined events for good")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithDescription("Removes the events the body picks ({messageIds, source, event, bot}) from the quarantine without delivering them; {\"all\":true} discards every one.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        app.MapGet("/admin/plans/draft", Draft).RequireAdmin().WithTags(Tag)
            .WithName("PlanDraft")
            .WithSummary("A tracking plan drafted from the source's observed traffic")
            .WithDescription(
                "The plan file (format=json, the default, or yaml) the plan loader reads unchanged, drafted from the events of source this instance " +
                "observed since start (at most Tracking:PlanDraft:MaxEventsPerSecond per second, after the privacy rules): every name seen, with a JSON Schema " +
                "of its properties (or traits) from the JSON types seen, required the members present in every observed event, unplanned names a violation. " +
                "The counts are in x-observed members (JSON) or comments (YAML), which the loader ignores. No property value is ever kept.")
            .Produces<string>(StatusCodes.Status200OK, JsonType, YamlType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    private const string JsonType = "application/json";
    private const string YamlType = "application/yaml";

    private static Results<ContentHttpResult, ProblemHttpResult> Draft(PlanObserver observer, WriteKeys keys, string? source, string? format)
    {
        if (string.IsNullOrEmpty(source))
        {
            return TypedResults.Problem("Name the source to draft a plan for: ?source=<the source name Tracking:WriteKeys maps a key to>.", statusCode: StatusCodes.Status400BadRequest, title: "No source");
        }

        var yaml = string.Equals(format, "yaml", StringComparison.OrdinalIgnoreCase);
        if (format is not null && !yaml && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem("format must be json (the default) or yaml.", statusCode: StatusCodes.Status400BadRequest, title: "Unknown format");
        }

        if (!keys.Knows(source))
        {
            return TypedResults.Problem(
                $"No write key maps to the source '{source}'; the sources are {string.Join(", ", keys.Sources.Select(s => $"'{s}'"))}.",
                statusCode: StatusCodes.Status404NotFound,
                title: "Unknown source");
        }

        if (!observer.Enabled)
        {
            return TypedResults.Problem("Tracking:PlanDraft:Enabled is false: no traffic is observed, so no plan can be drafted.", statusCode: StatusCodes.Status404NotFound, title: "Plan drafting is off");
        }

        var plan = PlanDraft.Build(source, observer.Of(source), observer.Options);
        return yaml
            ? TypedResults.Text(PlanDraftYaml.Write(plan), YamlType + "; charset=utf-8")
            : TypedResults.Text(plan.ToJsonString(DraftJson) + "\n", JsonType + "; charset=utf-8");
    }

    private static readonly System.Text.Json.JsonSerializerOptions DraftJson = new(TrackingPlanJsonContext.Default.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static async Task<Ok<QuarantineListing>> ListAsync(
        Quarantine quarantine, string? source, string? @event, bool? bot, int? limit, CancellationToken cancellationToken)
    {
        var take = Math.Clamp(limit ?? 100, 0, MaxListed);
        var (events, matching, total) = await quarantine.ReadAsync(new QuarantineSelection(null, source, @event, Bot: bot), take, cancellationToken);
        return TypedResults.Ok(new QuarantineListing(total, matching, quarantine.Bytes, quarantine.Folder, events));
    }

    private static async Task<Results<Ok<QuarantineOutcome>, ProblemHttpResult>> ReadmitAsync(Quarantine quarantine, IEventQueue queue, HttpRequest request, CancellationToken cancellationToken)
    {
        if (await SelectionAsync(request, cancellationToken) is not { } selection)
        {
            return NotASelection();
        }

        return TypedResults.Ok(await quarantine.TakeAsync(
            selection,
            async events => await queue.EnqueueAsync(events, cancellationToken) == EnqueueOutcome.Accepted,
            cancellationToken));
    }

    private static async Task<Results<Ok<QuarantineOutcome>, ProblemHttpResult>> DiscardAsync(Quarantine quarantine, HttpRequest request, CancellationToken cancellationToken)
    {
        if (await SelectionAsync(request, cancellationToken) is not { } selection)
        {
            return NotASelection();
        }

        if (selection.Unfiltered && !selection.All)
        {
            return TypedResults.Problem(
                "A discard deletes events for good: name them with messageIds, source, event or bot, or send {\"all\":true} to discard every quarantined event.",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Discard of everything not confirmed");
        }

        return TypedResults.Ok(await quarantine.TakeAsync(selection, readmit: null, cancellationToken));
    }

    /// <summary>The body's selection; no filter for an empty body; null for a body that is not one.</summary>
    private static async Task<QuarantineSelection?> SelectionAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return new QuarantineSelection();
        }

        try
        {
            // A JSON null is no more a selection than an array is.
            return await request.ReadFromJsonAsync(TrackingPlanJsonContext.Default.QuarantineSelection, cancellationToken);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static ProblemHttpResult NotASelection() =>
        TypedResults.Problem(
            "The body must be a JSON object with only messageIds (an array of strings), source, event, all and bot (booleans), or empty.",
            statusCode: StatusCodes.Status400BadRequest,
            title: "Not a selection");
}
