using System.Text;
using System.Text.Json.Serialization;

namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>PutRecords</c>: up to <see cref="KinesisLimits.MaxRecordsPerPutRecords"/> records for one stream.</summary>
public sealed class PutRecordsRequest
{
    /// <summary>The stream name. Either this or <see cref="StreamArn"/> is required.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN, which AWS recommends over the name.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary>The records, 1 to <see cref="KinesisLimits.MaxRecordsPerPutRecords"/>, at most
    /// <see cref="KinesisLimits.MaxPutRecordsRequestBytes"/> together.</summary>
    public required IReadOnlyList<PutRecordsRequestEntry> Records { get; init; }
}

/// <summary>One record of a <c>PutRecords</c> call.</summary>
public sealed class PutRecordsRequestEntry
{
    /// <summary>The data blob (base64 on the wire).</summary>
    public required ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Chooses the shard (MD5 of the key); records with the same key stay in order on one shard.
    /// 1 to <see cref="KinesisLimits.MaxPartitionKeyLength"/> characters.</summary>
    public required string PartitionKey { get; init; }

    /// <summary>A decimal 128-bit hash key that overrides the partition key's hash, to pick the shard explicitly.</summary>
    public string? ExplicitHashKey { get; init; }

    /// <summary>What the record counts against the 1 MiB record and 5 MiB request limits: data plus UTF-8 partition key.</summary>
    [JsonIgnore]
    public int Size => Data.Length + Encoding.UTF8.GetByteCount(PartitionKey ?? string.Empty);
}

/// <summary>
/// Output of <c>PutRecords</c>. A call can succeed as a whole and still fail for some records:
/// <see cref="FailedRecordCount"/> says how many, and <see cref="Records"/> (same order as the request)
/// says which, so only those are sent again.
/// </summary>
public sealed class PutRecordsResponse
{
    /// <summary>How many records of the request were not written.</summary>
    public int FailedRecordCount { get; init; }

    /// <summary>One result per request record, in request order.</summary>
    public IReadOnlyList<PutRecordsResultEntry> Records { get; init; } = [];

    /// <summary><c>NONE</c> or <c>KMS</c>: whether the records were encrypted at rest.</summary>
    public string? EncryptionType { get; init; }
}

/// <summary>The result for one record: a sequence number and shard, or an error code and message.</summary>
public sealed class PutRecordsResultEntry
{
    /// <summary>The record's sequence number when it was written.</summary>
    public string? SequenceNumber { get; init; }

    /// <summary>The shard the record was written to.</summary>
    public string? ShardId { get; init; }

    /// <summary><c>ProvisionedThroughputExceededException</c> or <c>InternalFailure</c> when the record failed.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Details of the failure, e.g. the account, stream and shard that were throttled.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Whether this record was written.</summary>
    [JsonIgnore]
    public bool Succeeded => ErrorCode is null;
}
