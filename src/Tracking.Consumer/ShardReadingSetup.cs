using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Consumer.Health;
using Tracking.Consumer.Shards;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer;

/// <summary>Registers the reading of the stream: its Kinesis clients, shard discovery and the per-shard loops.</summary>
internal static class ShardReadingSetup
{
    /// <summary>The name of the <see cref="HttpClient"/> the Kinesis clients sign requests onto.</summary>
    private const string KinesisHttpClient = "Tracking.Consumer.Kinesis";

    /// <summary>The Kinesis client, shard discovery and the per-shard read and load loop.</summary>
    public static WebApplicationBuilder AddShardReading(this WebApplicationBuilder builder)
    {
        builder.Services.AddAwsHttpClient<StreamOptions>(KinesisHttpClient, o => o.RequestTimeout);
        builder.Services.AddSingleton<IKinesisClient>(sp => new KinesisClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(KinesisHttpClient),
            sp.GetRequiredService<IOptions<StreamOptions>>().Value,
            credentials: null,
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddKeyedSingleton<IKinesisClient>(ShardProcessor.ReadingClient, (sp, _) => new KinesisClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(KinesisHttpClient),
            sp.GetRequiredService<IOptions<StreamOptions>>().Value.WithRetry(new AwsRetryOptions { MaxAttempts = 1 }),
            credentials: null,
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ShardDiscovery>();
        builder.Services.AddSingleton<ShardHealth>();
        builder.Services.AddSingleton<ShardProcessor>();
        return builder;
    }
}
