namespace Tracking.Aws.Firehose;

/// <summary>Amazon Data Firehose limits of <c>PutRecordBatch</c> (Firehose API Reference; "These limits cannot be changed").</summary>
public static class FirehoseLimits
{
    /// <summary>PutRecordBatch: each request supports up to 500 records.</summary>
    public const int MaxRecordsPerPutRecordBatch = 500;

    /// <summary>PutRecordBatch: up to 4 MiB for the entire request (the documentation's "4 MB").</summary>
    public const int MaxPutRecordBatchRequestBytes = 4 * 1024 * 1024;

    /// <summary>PutRecordBatch: each record can be as large as 1,000 KiB before base64 encoding (the documentation's "1,000 KB").</summary>
    public const int MaxRecordBytes = 1000 * 1024;
}
