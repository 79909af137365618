using System.IO.Compression;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Tracking.Replay.Archives;

/// <summary>
/// Firehose's S3 layout: objects under <c>{prefix}/yyyy/MM/dd/HH/</c> (its default prefix scheme, and the File sink's).
/// An object is gzip when Firehose compressed it: its key ends in <c>.gz</c> or its content encoding says so.
/// </summary>
internal sealed class S3Archive(IAmazonS3 s3, string bucket, string prefix) : IArchive
{
    public async IAsyncEnumerable<string> FilesAsync(DateTimeOffset hour, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = (prefix.Length == 0 ? string.Empty : prefix + "/") + ArchiveHours.Folder(hour) + "/";
        string? token = null;
        var keys = new List<string>();
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = folder, ContinuationToken = token }, cancellationToken);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            yield return key;
        }
    }

    public async Task<Stream> OpenAsync(string file, CancellationToken cancellationToken)
    {
        var response = await s3.GetObjectAsync(bucket, file, cancellationToken);
        var gzip = file.EndsWith(".gz", StringComparison.Ordinal)
            || string.Equals(response.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        return gzip ? new GZipStream(response.ResponseStream, CompressionMode.Decompress) : response.ResponseStream;
    }
}
