using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>The consumer process started with the Redshift dialect: its settings are checked before anything starts.
/// (No Redshift cluster runs here, so a start that passes validation is not exercised end to end.)</summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftStartupTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    [Fact]
    public async Task StartingTheRedshiftDialectWithoutItsSettingsRefusesWithOneLineNamingEach()
    {
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, "events", postgres.ConnectionString("postgres"), "w");
        settings["Consumer:Warehouse:Dialect"] = "Redshift";
        settings["Consumer:Redshift:S3:Region"] = "eu-west-1";
        settings["Consumer:Leases:DynamoDb:ServiceUrl"] = "ftp://dynamodb.invalid/";
        await using var consumer = ConsumerProcess.Start(settings);

        await consumer.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, consumer.ExitCode);
        var line = Assert.Single(consumer.Lines, l => l.Length > 0);
        Assert.StartsWith("Tracking.Consumer cannot start:", line, StringComparison.Ordinal);
        Assert.Contains("Consumer:Redshift:S3Bucket is required", line, StringComparison.Ordinal);
        Assert.Contains("Consumer:Redshift:IamRole is required", line, StringComparison.Ordinal);
        Assert.Contains("Consumer:Leases:DynamoDb:ServiceUrl must be an absolute http or https URL", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", consumer.Output, StringComparison.Ordinal);
    }
}
