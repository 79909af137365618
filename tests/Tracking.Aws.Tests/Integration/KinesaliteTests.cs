using Tracking.Testing.Emulators;

namespace Tracking.Aws.Tests.Integration;

/// <summary>The Kinesis contract against kinesalite, started from tests/emulators/node_modules.</summary>
public sealed class KinesaliteTests(KinesaliteFixture kinesalite)
    : KinesisEmulatorContractTests(kinesalite.ServiceUrl, KinesaliteFixture.Region), IClassFixture<KinesaliteFixture>;
