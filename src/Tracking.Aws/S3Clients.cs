using Amazon.Runtime;
using Amazon.S3;

namespace Tracking.Aws;

/// <summary>
/// An S3 client from <see cref="AwsClientSettings"/> (mapped by <see cref="AwsClientSettings.Apply"/>), used by the
/// consumer's Redshift staging (<c>Consumer:Redshift:S3</c>) and by the replay command's S3 archive.
/// </summary>
public static class S3Clients
{
    /// <summary>
    /// A client for the settings' region, or for <see cref="AwsClientSettings.ServiceUrl"/> (an emulator or a VPC
    /// endpoint) with path-style addressing, which emulators need. <paramref name="credentials"/> <see langword="null"/>
    /// means the default AWS credential chain.
    /// </summary>
    public static AmazonS3Client Create(AwsClientSettings settings, AWSCredentials? credentials)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = new AmazonS3Config();
        settings.Apply(config);

        // Emulators serve buckets only at path-style URLs.
        config.ForcePathStyle = settings.ServiceUrl is not null;

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
