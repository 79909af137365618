namespace Tracking.Aws.Firehose;

/// <summary>
/// Settings of <see cref="FirehoseClient"/>, bound from the <c>Firehose</c> configuration section: region,
/// optional endpoint override and retry policy (see <see cref="AwsClientOptions"/>).
/// </summary>
public sealed class FirehoseClientOptions : AwsClientOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Firehose";

    /// <inheritdoc/>
    protected override string SectionName => Section;
}
