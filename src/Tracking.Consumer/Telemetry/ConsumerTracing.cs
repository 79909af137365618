using System.Diagnostics;
using Tracking.Consumer.Loading;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Telemetry;

/// <summary>
/// The consumer's spans: one <see cref="TelemetryNames.ConsumerLoadSpan"/> per load transaction, linked to the
/// ingestion requests whose trace context the API stamped on the loaded events (<see cref="EventTrace"/>), with
/// Npgsql's command spans beneath it. The stamp is not a column: <see cref="EventRecords"/> reads only the fields
/// the <c>events</c> table has, so rows are the same whether tracing was on or not.
/// </summary>
internal static class ConsumerTracing
{
    /// <summary>Links one span may carry; the SDK's default limit, past which it would drop them anyway.</summary>
    internal const int MaxLinks = 128;

    public static ActivitySource Source { get; } = new(TelemetryNames.ConsumerActivitySource);

    /// <summary>Starts the span of one load; null, with nothing read or allocated, while nobody listens.</summary>
    public static Activity? StartLoad(LoadBatch batch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var links = new List<ActivityLink>();
        var seen = new HashSet<ActivitySpanId>();
        void Link(ReadOnlyMemory<byte> payload)
        {
            if (links.Count < MaxLinks && EventTrace.TryRead(payload.Span, out var request) && seen.Add(request.SpanId))
            {
                links.Add(new ActivityLink(request));
            }
        }

        foreach (var row in batch.Rows)
        {
            Link(row.Payload);
        }

        foreach (var deadLetter in batch.DeadLetters)
        {
            Link(deadLetter.Payload);
        }

        var tags = new ActivityTagsCollection
        {
            [TelemetryNames.Attributes.MessagingSystem] = "aws_kinesis",
            [TelemetryNames.Attributes.DestinationName] = batch.Fence.Stream,
            [TelemetryNames.Attributes.ShardId] = batch.Fence.ShardId,
            [TelemetryNames.Attributes.BatchMessageCount] = batch.Rows.Count + batch.DeadLetters.Count,
            [TelemetryNames.Attributes.DeadLetters] = batch.DeadLetters.Count,
        };

        // A load serves many requests, so it starts its own trace and links to them rather than pick one parent.
        return Source.StartActivity(TelemetryNames.ConsumerLoadSpan, ActivityKind.Consumer, parentContext: default, tags, links);
    }

    /// <summary>Records what the load did.</summary>
    public static void Ended(Activity? load, LoadResult result)
    {
        if (load is null)
        {
            return;
        }

        var committed = result.Outcome == LoadOutcome.Committed;
        load.SetTag(TelemetryNames.Attributes.LoadOutcome, committed ? "committed" : "lease_lost");
        load.SetTag(TelemetryNames.Attributes.RowsInserted, result.RowsInserted);
        load.SetTag(TelemetryNames.Attributes.DuplicatesDropped, result.DuplicatesDropped);
        if (!committed)
        {
            load.SetStatus(ActivityStatusCode.Error, "the shard's lease was lost; the load was rolled back");
        }
    }
}
