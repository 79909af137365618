using System.Text.Json.Serialization;

namespace Tracking.Aws.Firehose;

/// <summary>Input of <c>PutRecordBatch</c>: up to <see cref="FirehoseLimits.MaxRecordsPerPutRecordBatch"/> records for one delivery stream.</summary>
public sealed class PutRecordBatchRequest
{
    /// <summary>The Firehose stream (delivery stream) name.</summary>
    public required string DeliveryStreamName { get; init; }

    /// <summary>The records, 1 to <see cref="FirehoseLimits.MaxRecordsPerPutRecordBatch"/>, at most
    /// <see cref="FirehoseLimits.MaxPutRecordBatchRequestBytes"/> together. Firehose concatenates records as they
    /// are, so end each one with <c>\n</c> for Redshift <c>COPY ... JSON</c> to read them as lines.</summary>
    public required IReadOnlyList<FirehoseRecord> Records { get; init; }
}

/// <summary>One record of a <c>PutRecordBatch</c> call.</summary>
public sealed class FirehoseRecord
{
    /// <summary>The data blob (base64 on the wire), at most <see cref="FirehoseLimits.MaxRecordBytes"/>.</summary>
    public required ReadOnlyMemory<byte> Data { get; init; }
}

/// <summary>
/// Output of <c>PutRecordBatch</c>. A call can succeed as a whole and still fail for some records:
/// <see cref="FailedPutCount"/> says how many, and <see cref="RequestResponses"/> (same order as the request)
/// says which, so only those are sent again.
/// </summary>
public sealed class PutRecordBatchResponse
{
    /// <summary>How many records of the request were not accepted.</summary>
    public int FailedPutCount { get; init; }

    /// <summary>Whether server-side encryption was enabled for this call.</summary>
    public bool? Encrypted { get; init; }

    /// <summary>One result per request record, in request order.</summary>
    public IReadOnlyList<PutRecordBatchResponseEntry> RequestResponses { get; init; } = [];
}

/// <summary>The result for one record: a record id, or an error code and message.</summary>
public sealed class PutRecordBatchResponseEntry
{
    /// <summary>The id Firehose gave the accepted record.</summary>
    public string? RecordId { get; init; }

    /// <summary><c>ServiceUnavailableException</c> or <c>InternalFailure</c> when the record failed.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Details of the failure.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Whether this record was accepted.</summary>
    [JsonIgnore]
    public bool Succeeded => ErrorCode is null;
}
