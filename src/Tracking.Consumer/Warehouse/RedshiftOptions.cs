using System.Text.RegularExpressions;
using Tracking.Aws;

namespace Tracking.Consumer.Warehouse;

/// <summary>The Redshift loader, bound from <c>Consumer:Redshift</c>; read only when <c>Consumer:Warehouse:Dialect</c> is <c>Redshift</c>.</summary>
public sealed partial class RedshiftOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Redshift";

    /// <summary>The S3 bucket batches are staged in for <c>COPY</c>; the cluster's role reads it. Required.</summary>
    public string? S3Bucket { get; set; }

    /// <summary>The key prefix of staged objects, without leading or trailing <c>/</c>. Default <c>tracking-consumer</c>.</summary>
    public string S3Prefix { get; set; } = "tracking-consumer";

    /// <summary>The ARN of the IAM role the cluster assumes to read the staged objects (<c>COPY … IAM_ROLE</c>). Required.</summary>
    public string? IamRole { get; set; }

    /// <summary>How far back, in <c>received_at</c> before a batch's oldest row, <c>events</c> is searched for rows a
    /// batch already holds. Default 7 days; 1 hour to 366 days. Redshift enforces no unique key: a duplicate older than
    /// this is not found.</summary>
    public TimeSpan DedupWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Batches with fewer rows than this go by multi-row parameterised <c>INSERT</c> instead of S3 and <c>COPY</c>.
    /// Default 1,000; 0 (always <c>COPY</c>) to 3,000 (18 parameters a row stay under the 65,535 a statement may bind).</summary>
    public int CopyThresholdRows { get; set; } = 1000;

    /// <summary>The S3 client: <c>Region</c> (default <c>AWS_REGION</c>, also passed to <c>COPY … REGION</c>), <c>ServiceUrl</c>
    /// (an emulator such as s3rver; path-style addressing is then used), <c>RequestTimeout</c>. Credentials come from the
    /// default AWS chain.</summary>
    public AwsClientSettings S3 { get; set; } = new();

    /// <summary>The most rows a staging <c>INSERT</c> may carry.</summary>
    internal const int MaxCopyThresholdRows = 3000;

    internal IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(S3Bucket) || !BucketName().IsMatch(S3Bucket))
        {
            yield return $"{Section}:S3Bucket is required and must be an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens); got '{S3Bucket}'.";
        }

        if (S3Prefix is null || !Prefix().IsMatch(S3Prefix))
        {
            yield return $"{Section}:S3Prefix must be letters, digits and ! - _ . * ( ) in segments separated by single '/', without a leading or trailing '/'; got '{S3Prefix}'.";
        }

        if (string.IsNullOrWhiteSpace(IamRole) || !RoleArn().IsMatch(IamRole))
        {
            yield return $"{Section}:IamRole is required and must be an IAM role ARN such as 'arn:aws:iam::123456789012:role/RedshiftCopy'; got '{IamRole}'.";
        }

        if (DedupWindow < TimeSpan.FromHours(1) || DedupWindow > TimeSpan.FromDays(366))
        {
            yield return $"{Section}:DedupWindow must be between 01:00:00 and 366.00:00:00 (got {DedupWindow}).";
        }

        if (CopyThresholdRows is < 0 or > MaxCopyThresholdRows)
        {
            yield return $"{Section}:CopyThresholdRows must be between 0 and {MaxCopyThresholdRows}: a staging INSERT binds {EventColumns.All.Count + 1} parameters a row and a statement at most 65,535 (got {CopyThresholdRows}).";
        }

        if (S3 is null)
        {
            yield return $"{Section}:S3 must be set.";
            yield break;
        }

        foreach (var error in S3.ValidateSettings($"{Section}:S3"))
        {
            yield return error;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\\z", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^[A-Za-z0-9!_.*()-]+(/[A-Za-z0-9!_.*()-]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Prefix();

    [GeneratedRegex(@"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}\z", RegexOptions.CultureInvariant)]
    private static partial Regex RoleArn();
}
