using Microsoft.Extensions.Configuration;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Tests.Unit;

public sealed class OptionsTests
{
    [Fact]
    public void DefaultsAreTheDocumentedOnes()
    {
        var batching = new BatchingOptions();
        Assert.Equal((10_000, 8 * 1024 * 1024, TimeSpan.FromSeconds(1)), (batching.MaxRows, batching.MaxBytes, batching.Linger));
        Assert.Equal(TimeSpan.FromSeconds(10), new LeaseOptions().Duration);
        Assert.Equal(TimeSpan.FromSeconds(10) / 3, new LeaseOptions().RenewInterval);
        Assert.Equal(InitialPosition.TrimHorizon, new StreamOptions().InitialPosition);
        Assert.Equal(WarehouseDialect.Postgres, new WarehouseOptions().Dialect);
        Assert.Equal($"{Environment.MachineName}:{Environment.ProcessId}", new WorkerOptions().WorkerId);
        Assert.Empty(new BatchingOptions().Validate());
        Assert.Empty(new LeaseOptions().Validate());
    }

    [Fact]
    public void TheRedshiftDialectDefaultsToAboutOneLoadPerShardPerMinuteOr64MiBKeepingWhatIsSet()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["MaxBytes"] = "1048576" })
            .Build();
        var batching = new BatchingOptions { MaxBytes = 1024 * 1024 };

        batching.ApplyRedshiftDefaults(configuration);

        Assert.Equal((100_000, 1024 * 1024, TimeSpan.FromMinutes(1)), (batching.MaxRows, batching.MaxBytes, batching.Linger));
        Assert.Empty(batching.Validate());
    }

    [Fact]
    public void EveryBrokenRuleIsReportedNamingItsSetting()
    {
        var stream = new StreamOptions { InitialPosition = InitialPosition.AtTimestamp, Region = "Mars", ServiceUrl = new Uri("ftp://x/") }.Validate().ToList();
        var batching = new BatchingOptions { MaxRows = 1_000_001, MaxBytes = 10, Linger = TimeSpan.Zero }.Validate().ToList();
        var leases = new LeaseOptions { Duration = TimeSpan.FromMilliseconds(500) }.Validate().ToList();
        var warehouse = new WarehouseOptions { ConnectionString = "this is = not; valid==" }.Validate().ToList();

        Assert.Equal(
            ["Consumer:Kinesis:StreamName", "Consumer:Kinesis:InitialTimestamp", "Consumer:Kinesis:Region", "Consumer:Kinesis:ServiceUrl"],
            stream.Select(e => e.Split(' ')[0]));
        Assert.Equal(["Consumer:Batching:MaxRows", "Consumer:Batching:MaxBytes", "Consumer:Batching:Linger"], batching.Select(e => e.Split(' ')[0]));
        Assert.Contains("1000000", batching[0], StringComparison.Ordinal);
        Assert.StartsWith("Consumer:Leases:Duration", Assert.Single(leases), StringComparison.Ordinal);
        Assert.StartsWith("Consumer:Warehouse:ConnectionString", Assert.Single(warehouse), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("events'; drop table events; --")]
    [InlineData("events\\")]
    [InlineData("events\n")]
    public void AStreamNameKinesisWouldNotTakeIsRefusedAtStartSinceItIsQuotedIntoRedshiftCopy(string name)
    {
        var problems = new StreamOptions { StreamName = name, Region = "eu-west-1" }.Validate().ToList();

        Assert.StartsWith("Consumer:Kinesis:StreamName may hold only", Assert.Single(problems), StringComparison.Ordinal);
    }
}
