using Amazon.Runtime;
using Tracking.Aws.Firehose;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Testing.Aws;
using Tracking.Testing.Time;

namespace Tracking.Aws.Tests.Integration;

/// <summary>Clients pointed at a local server, with the SigV4 test suite's example key and a chosen clock.</summary>
internal static class TestClients
{
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// <summary>The SigV4 test suite's date, 2015-08-30T12:36:00Z.</summary>
    public static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    public static AwsRetryOptions Retry(int maxAttempts) => new()
    {
        MaxAttempts = maxAttempts,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(1),
    };

    public static KinesisClient Kinesis(HttpClient http, Uri serviceUrl, TimeProvider clock, int maxAttempts = 3, AWSCredentials? credentials = null, string region = "eu-west-1") =>
        new(http, new AwsClientSettings { Region = region, ServiceUrl = serviceUrl, Retry = Retry(maxAttempts) }, credentials ?? new BasicAWSCredentials(AccessKey, SecretKey), clock);

    public static FirehoseClient Firehose(HttpClient http, Uri serviceUrl, TimeProvider clock, int maxAttempts = 3, AWSCredentials? credentials = null, string region = "eu-west-1") =>
        new(http, new AwsClientSettings { Region = region, ServiceUrl = serviceUrl, Retry = Retry(maxAttempts) }, credentials ?? new BasicAWSCredentials(AccessKey, SecretKey), clock);
}

/// <summary>A test class that talks to a fresh <see cref="ScriptedAwsServer"/>, on a clock that runs back-off delays at once.</summary>
public abstract class AgainstScriptedServer : IAsyncLifetime
{
    private protected readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private protected readonly FakeClock _clock = new(TestClients.SuiteTime) { AutoAdvance = true };
    private protected ScriptedAwsServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedAwsServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }
}
