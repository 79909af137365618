using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Writes a batch's rows to <c>s3://{S3Bucket}/{S3Prefix}/staging/{stream}/{shard}/{first}-{last}-{counter}/part-NNNNN.json.gz</c>
/// as gzip JSON lines whose keys are the column names (so <c>COPY … JSON 'auto'</c> maps them), and a manifest named
/// after the shard, the first and last sequence numbers and the fence counter (two workers that staged the same range
/// during a failover never share or delete each other's objects). Nothing here decides what is loaded: the
/// transaction does.
/// </summary>
internal sealed class S3Staging(IAmazonS3 s3, IOptions<RedshiftOptions> options, int partBytes = S3Staging.PartBytes)
{
    /// <summary>Uncompressed bytes per part: several parts let the cluster's slices load one batch in parallel.</summary>
    internal const int PartBytes = 16 * 1024 * 1024;

    // Non-ASCII text is written as UTF-8, not \u escapes: the files are data, never HTML.
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private string Bucket => options.Value.S3Bucket!;

    // Every body is in memory already, so nothing is gained by aws-chunked uploads with trailing checksums; plain
    // uploads (checksum in a header) are also what S3-compatible stores and emulators such as s3rver understand.

    /// <summary>The folder under <see cref="RedshiftOptions.S3Prefix"/> of the staged batches, which a lifecycle rule may expire.</summary>
    public const string StagingFolder = "staging";

    /// <summary>The folder under <see cref="RedshiftOptions.S3Prefix"/> of the dead letters' records: kept, outside the staging folder.</summary>
    public const string DeadLetterFolder = "dead-letters";

    /// <summary>The key prefix of everything staged for a shard.</summary>
    public string ShardPrefix(ShardFence fence) => ShardFolder(StagingFolder, fence);

    /// <summary>A shard's folder under <paramref name="folder"/>: the same layout for staged files and dead letters.</summary>
    private string ShardFolder(string folder, ShardFence fence) => $"{options.Value.S3Prefix}/{folder}/{fence.Stream}/{fence.ShardId}";

    public async Task<StagedBatch> StageAsync(ShardFence fence, IReadOnlyList<EventRow> rows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rows.Count);
        var name = string.Create(CultureInfo.InvariantCulture, $"{ShardPrefix(fence)}/{rows[0].SequenceNumber}-{rows[^1].SequenceNumber}-{fence.Counter}");
        var parts = new List<string>();
        try
        {
            return await StageAsync(name, rows, parts, cancellationToken);
        }
        catch
        {
            // What was written before the failure is never loaded; remove it (a lifecycle rule catches what this cannot).
            if (parts.Count > 0)
            {
                try
                {
                    await DeleteAsync(new StagedBatch(Bucket, name + ".manifest", parts), CancellationToken.None);
                }
                catch (AmazonS3Exception)
                {
                }
            }

            throw;
        }
    }

    private async Task<StagedBatch> StageAsync(string name, IReadOnlyList<EventRow> rows, List<string> parts, CancellationToken cancellationToken)
    {
        var position = 0;
        while (position < rows.Count)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{name}/part-{parts.Count:D5}.json.gz");
            using var body = new MemoryStream();
            await using (var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true))
            {
                var written = 0L;
                await using var writer = new Utf8JsonWriter(gzip, LineOptions);
                while (position < rows.Count && (written == 0 || written < partBytes))
                {
                    WriteLine(writer, position, rows[position]);
                    await writer.FlushAsync(cancellationToken);
                    gzip.WriteByte((byte)'\n');
                    written += writer.BytesCommitted + 1;
                    writer.Reset();
                    position++;
                }
            }

            body.Position = 0;
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = body, ContentType = "application/x-ndjson", UseChunkEncoding = false }, cancellationToken);
            parts.Add(key);
        }

        var manifestKey = name + ".manifest";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = manifestKey, ContentBody = Manifest(Bucket, parts), ContentType = "application/json", UseChunkEncoding = false }, cancellationToken);
        return new StagedBatch(Bucket, manifestKey, parts);
    }

    /// <summary>Keeps a dead letter's payload that the <c>dead_letters</c> table cannot hold as text; returns its URL.
    /// The key is the record's own, so a replay writes the same object again.</summary>
    public async Task<string> KeepDeadLetterAsync(ShardFence fence, DeadLetter letter, CancellationToken cancellationToken)
    {
        // Not under the staging folder: the lifecycle rule that expires leftover staged objects must not reach this, the record's only copy.
        var key = $"{ShardFolder(DeadLetterFolder, fence)}/{letter.SequenceNumber}.bin";
        using var body = new MemoryStream(letter.Payload.ToArray(), writable: false);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = body, ContentType = "application/octet-stream", UseChunkEncoding = false }, cancellationToken);
        return $"s3://{Bucket}/{key}";
    }

    /// <summary>A dead letter's payload kept by <see cref="KeepDeadLetterAsync"/>, from its <c>s3://bucket/key</c> URL.</summary>
    public async Task<byte[]> ReadDeadLetterAsync(string url, CancellationToken cancellationToken)
    {
        var (bucket, key) = ParseUrl(url);
        using var response = await s3.GetObjectAsync(bucket, key, cancellationToken);
        using var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body, cancellationToken);
        return body.ToArray();
    }

    /// <summary>Removes a dead letter's payload once its rows are loaded: it was the record's only copy, and no
    /// lifecycle rule reaches it.</summary>
    public async Task DeleteDeadLetterAsync(string url, CancellationToken cancellationToken)
    {
        var (bucket, key) = ParseUrl(url);
        await s3.DeleteObjectAsync(bucket, key, cancellationToken);
    }

    private static (string Bucket, string Key) ParseUrl(string url)
    {
        var slash = url.StartsWith("s3://", StringComparison.Ordinal) ? url.IndexOf('/', 5) : -1;
        if (slash <= 5 || slash == url.Length - 1)
        {
            throw new FormatException($"Not an s3://bucket/key URL: {url}");
        }

        return (url[5..slash], url[(slash + 1)..]);
    }

    public async Task DeleteAsync(StagedBatch staged, CancellationToken cancellationToken)
    {
        var request = new DeleteObjectsRequest { BucketName = staged.Bucket, Objects = staged.Keys.Select(k => new KeyVersion { Key = k }).ToList() };
        var response = await s3.DeleteObjectsAsync(request, cancellationToken);
        if (response.DeleteErrors is { Count: > 0 } errors)
        {
            throw new AmazonS3Exception($"{errors.Count} staged objects were not deleted, e.g. {errors[0].Key}: {errors[0].Code} {errors[0].Message}");
        }
    }

    /// <summary>A <c>COPY … MANIFEST</c> file: every part mandatory, so a missing one fails the load instead of skipping rows.</summary>
    internal static string Manifest(string bucket, IEnumerable<string> keys)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("entries");
            foreach (var key in keys)
            {
                writer.WriteStartObject();
                writer.WriteString("url", $"s3://{bucket}/{key}");
                writer.WriteBoolean("mandatory", true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>One row as a JSON object keyed by column name; nulls are left out, so they load as SQL NULL rather than a SUPER null.</summary>
    internal static void WriteLine(Utf8JsonWriter writer, int position, EventRow row)
    {
        writer.WriteStartObject();
        writer.WriteNumber("batch_position", position);
        foreach (var column in EventColumns.All)
        {
            switch (column.Value(row))
            {
                case null:
                    break;
                case DateTimeOffset time:
                    // ISO 8601 in UTC with microseconds, Redshift's precision; TIMEFORMAT 'auto' reads it.
                    writer.WriteString(column.Name, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
                    break;
                case string json when column.Kind == ColumnKind.Json:
                    writer.WritePropertyName(column.Name);
                    writer.WriteRawValue(json, skipInputValidation: true);
                    break;
                case string text:
                    writer.WriteString(column.Name, text);
                    break;
                default:
                    throw new InvalidOperationException($"Column {column.Name} has an unexpected value type.");
            }
        }

        writer.WriteEndObject();
    }
}
