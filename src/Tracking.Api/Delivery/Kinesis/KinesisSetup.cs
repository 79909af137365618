using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery.Kinesis;

internal static class KinesisSetup
{
    public const string HttpClientName = "Tracking.Kinesis";

    /// <summary>The Kinesis sink, its client on a named <see cref="HttpClient"/>, and the monitor that checks the stream and lists its shards.</summary>
    public static IServiceCollection AddKinesisSink(this IServiceCollection services)
    {
        services.AddValidatedOptions<KinesisSinkOptions>(KinesisSinkOptions.Section).UseDefaultRegion(options => options);

        services.AddAwsHttpClient<KinesisSinkOptions>(HttpClientName, options => options.RequestTimeout);
        services.AddSingleton<IKinesisClient>(provider => new KinesisClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            provider.GetRequiredService<IOptions<KinesisSinkOptions>>().Value,
            AwsSinkSettings.Credentials(provider),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<KinesisSink>();
        services.AddSingleton<IEventSink>(provider => provider.GetRequiredService<KinesisSink>());
        services.AddSingleton<IShardRouting>(provider => provider.GetRequiredService<KinesisSink>());
        services.AddHostedService<KinesisStreamMonitor>();
        return services;
    }
}
