namespace Tracking.Api.Delivery;

/// <summary>The sinks <c>Tracking:Sink</c> can name.</summary>
public enum SinkKind
{
    /// <summary>Newline-delimited JSON files on local disk: the embedded default, no cloud account needed.</summary>
    File,

    /// <summary>A Kinesis Data Stream (<c>PutRecords</c>), named by <c>Tracking:Kinesis:StreamName</c>.</summary>
    Kinesis,

    /// <summary>An Amazon Data Firehose stream (<c>PutRecordBatch</c>), named by <c>Tracking:Firehose:DeliveryStreamName</c>.</summary>
    Firehose,
}
