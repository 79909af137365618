using System.IO.Compression;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Tracking.Replay.Archives;

/// <summary>
/// Firehose's S3 layout: objects under <c>{prefix}yyyy/MM/dd/HH/</c>, the prefix exactly as the delivery stream has it
/// (Firehose puts the hour right after it, so a prefix <c>events-</c> gives <c>events-2026/11/01/05/</c>). A prefix
/// without a trailing <c>/</c> is also read as a folder (<c>events</c> → <c>events/2026/11/01/05/</c>), as most are
/// meant and as the File sink's layout copied to S3 is. An object is gzip when Firehose compressed it: its key ends in
/// <c>.gz</c> or its content encoding says so.
/// </summary>
internal sealed class S3Archive(IAmazonS3 s3, string bucket, string prefix) : IArchive
{
    /// <summary>The key prefixes of one hour, as <see cref="FilesAsync"/> lists them.</summary>
    public IEnumerable<string> Folders(DateTimeOffset hour)
    {
        var path = ArchiveHours.Folder(hour) + "/";
        yield return prefix + path;
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            yield return prefix + "/" + path;
        }
    }

    public async IAsyncEnumerable<string> FilesAsync(DateTimeOffset hour, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        foreach (var folder in Folders(hour))
        {
            string? token = null;
            do
            {
                var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = folder, ContinuationToken = token }, cancellationToken);
                keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
                token = page.IsTruncated == true ? page.NextContinuationToken : null;
            }
            while (token is not null);
        }

        foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
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
