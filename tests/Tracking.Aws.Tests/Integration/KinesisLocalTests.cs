using Tracking.Aws.Kinesis;
using Tracking.Testing.Emulators;

namespace Tracking.Aws.Tests.Integration;

/// <summary>kinesis-local started with a stream created through <c>INITIALIZE_STREAMS</c>.</summary>
public sealed class KinesisLocalWithInitialStreamFixture : KinesisLocalFixture
{
    public const string StreamName = "initialized-events";

    protected override string InitialStreams => $"{StreamName}:3";
}

/// <summary>The Kinesis contract against kinesis-local (kinesis-mock), started from its own package folder.</summary>
public sealed class KinesisLocalTests(KinesisLocalWithInitialStreamFixture kinesisLocal)
    : KinesisEmulatorContractTests(kinesisLocal.ServiceUrl, KinesisLocalFixture.Region), IClassFixture<KinesisLocalWithInitialStreamFixture>
{
    [Fact]
    public async Task StreamsNamedInInitializeStreamsAreActiveAtStartUp()
    {
        var summary = await Client.WaitForStreamActiveAsync(KinesisLocalWithInitialStreamFixture.StreamName, TimeSpan.FromSeconds(30));

        Assert.Equal(3, summary.OpenShardCount);
    }
}
