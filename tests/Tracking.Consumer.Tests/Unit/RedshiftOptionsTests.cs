using Microsoft.Extensions.Options;
using Tracking.Aws;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Tests.Unit;

public sealed class RedshiftOptionsTests
{
    [Fact]
    public void DefaultsAreTheDocumentedOnes()
    {
        var options = new RedshiftOptions();

        Assert.Equal(("tracking-consumer", TimeSpan.FromDays(7), 1000), (options.S3Prefix, options.DedupWindow, options.CopyThresholdRows));
        Assert.Equal(LeaseStoreKind.DynamoDb, DialectRules.EffectiveStore(WarehouseDialect.Redshift, null));
        Assert.Equal(LeaseStoreKind.Warehouse, DialectRules.EffectiveStore(WarehouseDialect.Postgres, null));
    }

    [Fact]
    public void TheRedshiftDialectReportsEveryMissingOrBrokenSettingByName()
    {
        var redshift = new RedshiftOptions { S3Bucket = "Not_A_Bucket", S3Prefix = "/lead", IamRole = "role", DedupWindow = TimeSpan.Zero, CopyThresholdRows = 5000 };
        var rules = new DialectRules(Options.Create(new LeaseOptions { Store = LeaseStoreKind.Warehouse }), Options.Create(redshift));

        var result = rules.Validate(null, new WarehouseOptions { Dialect = WarehouseDialect.Redshift, ConnectionString = "Host=x" });

        Assert.Equal(
            ["Consumer:Redshift:S3Bucket", "Consumer:Redshift:S3Prefix", "Consumer:Redshift:IamRole", "Consumer:Redshift:DedupWindow", "Consumer:Redshift:CopyThresholdRows", "No", "Consumer:Leases:Store"],
            result.Failures!.Select(f => f.Split(' ')[0]));
        Assert.Contains("Consumer:Redshift:S3:Region", result.Failures!.ElementAt(5), StringComparison.Ordinal);
    }

    [Fact]
    public void ATrailingLineBreakInTheBucketPrefixOrRoleIsRefusedAtStartNotAtTheFirstCopy()
    {
        // A setting read from a secret file often ends with a line break; '$' in a regex matches before one.
        var redshift = new RedshiftOptions
        {
            S3Bucket = "staging\n",
            S3Prefix = "tracking-consumer\n",
            IamRole = "arn:aws:iam::123456789012:role/Copy\n",
            S3 = new AwsClientSettings { Region = "eu-west-1" },
        };
        var rules = new DialectRules(Options.Create(new LeaseOptions { DynamoDb = new DynamoDbLeaseOptions { Region = "eu-west-1" } }), Options.Create(redshift));

        var result = rules.Validate(null, new WarehouseOptions { Dialect = WarehouseDialect.Redshift, ConnectionString = "Host=x" });

        Assert.Equal(["Consumer:Redshift:S3Bucket", "Consumer:Redshift:S3Prefix", "Consumer:Redshift:IamRole"], (result.Failures ?? []).Select(f => f.Split(' ')[0]));
    }

    [Fact]
    public void TheDynamoDbLeaseStoreNeedsAValidTableAndRegionAndOnlyServesRedshift()
    {
        var leases = new LeaseOptions { Store = LeaseStoreKind.DynamoDb, DynamoDb = new DynamoDbLeaseOptions { TableName = "x", ServiceUrl = new Uri("ftp://dynalite/") } };
        var valid = new RedshiftOptions { S3Bucket = "staging", IamRole = "arn:aws:iam::123456789012:role/Copy", S3 = new AwsClientSettings { Region = "eu-west-1" } };

        var errors = leases.Validate().ToList();
        var postgres = new DialectRules(Options.Create(leases), Options.Create(valid)).Validate(null, new WarehouseOptions());

        Assert.Equal(["Consumer:Leases:DynamoDb:TableName", "No", "Consumer:Leases:DynamoDb:ServiceUrl"], errors.Select(e => e.Split(' ')[0]));
        Assert.Contains("Consumer:Leases:DynamoDb:Region", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("Consumer:Leases:Store=DynamoDb is for the Redshift dialect", Assert.Single(postgres.Failures!), StringComparison.Ordinal);
        Assert.Empty(new LeaseOptions { Store = LeaseStoreKind.DynamoDb, DynamoDb = new DynamoDbLeaseOptions { Region = "eu-west-1" } }.Validate());
    }

    [Fact]
    public void TheRedshiftDialectChecksTheDefaultDynamoDbStoreAndThePostgresDialectRefusesALeaseDatabase()
    {
        var valid = new RedshiftOptions { S3Bucket = "staging", IamRole = "arn:aws:iam::123456789012:role/Copy", S3 = new AwsClientSettings { Region = "eu-west-1" } };

        var redshift = new DialectRules(Options.Create(new LeaseOptions()), Options.Create(valid)).Validate(null, new WarehouseOptions { Dialect = WarehouseDialect.Redshift });
        var postgres = new DialectRules(Options.Create(new LeaseOptions { Store = LeaseStoreKind.Postgres, ConnectionString = "Host=x" }), Options.Create(valid)).Validate(null, new WarehouseOptions());
        var fine = new DialectRules(Options.Create(new LeaseOptions { DynamoDb = new DynamoDbLeaseOptions { Region = "eu-west-1" } }), Options.Create(valid)).Validate(null, new WarehouseOptions { Dialect = WarehouseDialect.Redshift });
        var postgresStore = new DialectRules(Options.Create(new LeaseOptions { Store = LeaseStoreKind.Postgres, ConnectionString = "Host=x" }), Options.Create(valid)).Validate(null, new WarehouseOptions { Dialect = WarehouseDialect.Redshift });

        Assert.StartsWith("No AWS region is configured: set Consumer:Leases:DynamoDb:Region", Assert.Single(redshift.Failures!), StringComparison.Ordinal);
        Assert.StartsWith("Consumer:Leases:Store=Postgres is for the Redshift dialect", Assert.Single(postgres.Failures!), StringComparison.Ordinal);
        Assert.True(fine.Succeeded);
        Assert.True(postgresStore.Succeeded);
    }
}
