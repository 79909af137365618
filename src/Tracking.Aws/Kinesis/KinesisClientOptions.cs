namespace Tracking.Aws.Kinesis;

/// <summary>
/// Settings of <see cref="KinesisClient"/>, bound from the <c>Kinesis</c> configuration section: region,
/// optional emulator URL and retry policy (see <see cref="AwsClientOptions"/>).
/// </summary>
public sealed class KinesisClientOptions : AwsClientOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Kinesis";

    /// <inheritdoc/>
    protected override string SectionName => Section;
}
