using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

// The tests start consumer processes and kill them; on two shared cores they run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Tracking.Consumer.Tests.Support;

/// <summary>One PostgreSQL cluster, one kinesalite, one s3rver and one dynalite for the whole run; each test makes its own
/// database, stream, S3 prefix and DynamoDB table.</summary>
[CollectionDefinition(Name)]
public sealed class Infrastructure : ICollectionFixture<PostgresServer>, ICollectionFixture<KinesaliteFixture>, ICollectionFixture<S3rverFixture>, ICollectionFixture<DynaliteFixture>
{
    public const string Name = "PostgreSQL and kinesalite";
}
