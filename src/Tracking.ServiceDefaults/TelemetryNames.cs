namespace Tracking.ServiceDefaults;

/// <summary>
/// The names of the pipeline's own meters, activity sources and spans: the instruments and sources
/// <see cref="TelemetryDefaults.AddTelemetryDefaults{TBuilder}"/> registers, and what a dashboard or a
/// trace query looks for.
/// </summary>
public static class TelemetryNames
{
    /// <summary>The API's meter (<c>tracking.events.*</c>, <c>tracking.delivery.*</c>, <c>tracking.queue.*</c>, <c>tracking.sink.*</c>).</summary>
    public const string ApiMeter = "Tracking.Api";

    /// <summary>The API's activity source: the sink put spans.</summary>
    public const string ApiActivitySource = "Tracking.Api";

    /// <summary>The consumer's meter (<c>consumer.*</c>).</summary>
    public const string ConsumerMeter = "Tracking.Consumer";

    /// <summary>The consumer's activity source: the warehouse load spans.</summary>
    public const string ConsumerActivitySource = "Tracking.Consumer";

    /// <summary>
    /// One delivery attempt of a batch to the sink (a put to Kinesis or Firehose, a write to the File sink), kind
    /// Producer, linked to the spans of the requests whose events it carries.
    /// </summary>
    public const string SinkPutSpan = "tracking.sink.put";

    /// <summary>
    /// One load transaction of a shard's rows into the warehouse, kind Consumer, linked to the spans of the requests
    /// whose events it loads.
    /// </summary>
    public const string ConsumerLoadSpan = "tracking.consumer.load";

    /// <summary>Every meter of the pipeline.</summary>
    public static IReadOnlyList<string> Meters { get; } = [ApiMeter, ConsumerMeter];

    /// <summary>Every activity source of the pipeline.</summary>
    public static IReadOnlyList<string> ActivitySources { get; } = [ApiActivitySource, ConsumerActivitySource];

    /// <summary>Span attributes of our own spans (the others follow OpenTelemetry's semantic conventions).</summary>
    public static class Attributes
    {
        /// <summary>On the ingestion request span: the source the write key maps to.</summary>
        public const string Source = "tracking.source";

        /// <summary>On the ingestion request span: events accepted from the request.</summary>
        public const string EventsAccepted = "tracking.events.accepted";

        /// <summary>On the ingestion request span: messages of the request refused.</summary>
        public const string EventsRejected = "tracking.events.rejected";

        /// <summary>On the put span: the sink's name (<c>File</c>, <c>Kinesis</c>, <c>Firehose</c>).</summary>
        public const string Sink = "tracking.sink";

        /// <summary>On the put span: the attempt number of this batch's delivery, from 1.</summary>
        public const string DeliveryAttempt = "tracking.delivery.attempt";

        /// <summary>On the put span: events of the attempt the sink did not store (sent again later).</summary>
        public const string DeliveryFailed = "tracking.delivery.failed";

        /// <summary>On the load span: the shard the rows were read from.</summary>
        public const string ShardId = "tracking.shard.id";

        /// <summary>On the load span: rows new to the warehouse.</summary>
        public const string RowsInserted = "tracking.rows.inserted";

        /// <summary>On the load span: rows whose messageId was already loaded.</summary>
        public const string DuplicatesDropped = "tracking.duplicates.dropped";

        /// <summary>On the load span: records kept as dead letters.</summary>
        public const string DeadLetters = "tracking.dead_letters";

        /// <summary>On the load span: <c>committed</c>, or <c>lease_lost</c> when the transaction was rolled back.</summary>
        public const string LoadOutcome = "tracking.load.outcome";

        /// <summary>OpenTelemetry's messaging convention: events in the batch.</summary>
        public const string BatchMessageCount = "messaging.batch.message_count";

        /// <summary>OpenTelemetry's messaging convention: <c>aws_kinesis</c>, <c>aws_firehose</c>, <c>file</c>.</summary>
        public const string MessagingSystem = "messaging.system";

        /// <summary>OpenTelemetry's messaging convention: the stream (or folder) written to or read from.</summary>
        public const string DestinationName = "messaging.destination.name";
    }
}
