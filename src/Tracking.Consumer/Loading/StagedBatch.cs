namespace Tracking.Consumer.Loading;

/// <summary>A batch written to S3 for <c>COPY</c>: its gzip JSON-lines parts and the manifest that lists them.</summary>
internal sealed record StagedBatch(string Bucket, string ManifestKey, IReadOnlyList<string> PartKeys)
{
    public string ManifestUrl => $"s3://{Bucket}/{ManifestKey}";

    /// <summary>Every object staged, manifest last.</summary>
    public IEnumerable<string> Keys => PartKeys.Append(ManifestKey);
}
