using Tracking.Aws.Kinesis;
using Tracking.Testing.Aws;

namespace Tracking.Aws.Tests.Integration;

/// <summary>Tests that set process-wide environment variables, so they never run beside other tests.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentTests), DisableParallelization = true)]
public sealed class ProcessEnvironmentTests;

/// <summary>Without explicit credentials or region the client uses AWSSDK.Core's default chain and the AWS_* variables.</summary>
[Collection(nameof(ProcessEnvironmentTests))]
public sealed class DefaultCredentialChainTests
{
    private static readonly string[] Variables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"];

    [Fact]
    public async Task CredentialsAndRegionComeFromTheAwsEnvironmentVariables()
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT");
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", TestClients.SecretKey);
            Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", "token-from-environment");
            Environment.SetEnvironmentVariable("AWS_REGION", null);
            Environment.SetEnvironmentVariable("AWS_DEFAULT_REGION", "sa-east-1");

            await using var server = await ScriptedAwsServer.StartAsync();
            using var http = new HttpClient();
            using var client = new KinesisClient(http, new AwsClientSettings { ServiceUrl = server.Url });
            server.EnqueueJson("""{"ShardIterator":"AAA"}""");

            await client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = "s", ShardId = "shardId-000000000000", ShardIteratorType = ShardIteratorType.TrimHorizon });

            var request = Assert.Single(server.Requests);
            Assert.Equal("sa-east-1", client.Region);
            Assert.Contains("Credential=AKIDFROMENVIRONMENT/", request.Header("Authorization"), StringComparison.Ordinal);
            Assert.Contains("/sa-east-1/kinesis/aws4_request", request.Header("Authorization"), StringComparison.Ordinal);
            Assert.Equal("token-from-environment", request.Header("X-Amz-Security-Token"));
            Assert.True(ReferenceSigV4.Verify(request, TestClients.SecretKey));
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
