namespace Tracking.Replay.Tests.Unit;

public class ReplayOptionsTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void EveryMistakeOnTheCommandLineIsReportedAtOnce()
    {
        var (options, errors) = ReplayOptions.Parse(
            ["--from", "yesterday", "--to", "2026-11-01T00:00:00", "--archive", "/no/such/folder", "--stream", "bad name!", "--rate", "0", "--late", "-1:00:00", "--kinesis-url", "ftp://x", "--bogus"],
            NoEnvironment);

        Assert.Null(options);
        Assert.Contains(errors, e => e.StartsWith("--from 'yesterday' is not an ISO 8601 time", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--to '2026-11-01T00:00:00' is not an ISO 8601 time with an offset", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("/no/such/folder: no such folder", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--stream 'bad name!' is not a Kinesis stream name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--rate '0' must be a whole number", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--late '-1:00:00'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--kinesis-url 'ftp://x' must be an absolute http or https URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("'--bogus' is not an option", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("No AWS region", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingRequiredOptionsAndABackwardRangeAreRefused()
    {
        var (_, missing) = ReplayOptions.Parse([], NoEnvironment);
        Assert.Contains("--from is required.", missing);
        Assert.Contains("--to is required.", missing);
        Assert.Contains("--stream is required.", missing);
        Assert.Contains(missing, e => e.StartsWith("--archive is required", StringComparison.Ordinal));

        using var archive = new ArchiveFolder();
        var (_, backward) = ReplayOptions.Parse(["--from", "2026-11-02T00:00:00Z", "--to", "2026-11-01T00:00:00Z", "--archive", archive.Root, "--stream", "events", "--region", "eu-west-1"], NoEnvironment);
        Assert.Equal(["--from (2026-11-02T00:00:00.0000000+00:00) must be before --to (2026-11-01T00:00:00.0000000+00:00)."], backward);
    }

    [Fact]
    public void AValidCommandLineGivesTheRangeTheArchiveAndTheDefaults()
    {
        using var archive = new ArchiveFolder();
        var (options, errors) = ReplayOptions.Parse(
            ["--from", "2026-11-01T00:00:00+01:00", "--to", "2026-11-01T06:00:00Z", "--archive", archive.Root, "--stream", "events"],
            name => name == "AWS_REGION" ? "eu-west-1" : null);

        Assert.Empty(errors);
        Assert.Equal(new DateTimeOffset(2026, 10, 31, 23, 0, 0, TimeSpan.Zero), options!.From);
        Assert.Equal(archive.Root, options.Folder);
        Assert.Equal(ReplayOptions.DefaultRecordsPerSecond, options.RecordsPerSecond);
        Assert.Equal(TimeSpan.FromHours(1), options.Late);
        Assert.Equal("eu-west-1", options.Kinesis.Region);
        Assert.False(options.DryRun);
    }

    [Fact]
    public void AnS3ArchiveIsABucketAndAPrefix()
    {
        var (options, errors) = ReplayOptions.Parse(
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:00Z", "--archive", "s3://tracking-events/firehose/events/", "--stream", "events", "--region", "us-east-1"],
            NoEnvironment);

        Assert.Empty(errors);
        Assert.Equal("tracking-events", options!.S3Bucket);
        Assert.Equal("firehose/events/", options.S3Prefix);
        Assert.Null(options.Folder);
    }

    [Fact]
    public void HelpIsNotAnError()
    {
        var (options, errors) = ReplayOptions.Parse(["--help"], NoEnvironment);
        Assert.Null(options);
        Assert.Empty(errors);
    }
}
