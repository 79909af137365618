using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Delivery.Kinesis;

internal static class KinesisSetup
{
    public const string HttpClientName = "Tracking.Kinesis";

    /// <summary>The Kinesis sink, its client on a named <see cref="HttpClient"/>, and the monitor that checks the stream and lists its shards.</summary>
    public static IServiceCollection AddKinesisSink(this IServiceCollection services)
    {
        services.AddOptions<KinesisSinkOptions>()
            .BindConfiguration(KinesisSinkOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) => options.Region = string.IsNullOrWhiteSpace(options.Region) ? AwsSinkSettings.DefaultRegion(configuration) : options.Region.Trim())
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddAwsHttpClient<KinesisSinkOptions>(HttpClientName, options => options.RequestTimeout);
        services.AddSingleton<IKinesisClient>(provider => new KinesisClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            provider.GetRequiredService<IOptions<KinesisSinkOptions>>().Value.ToClientOptions(),
            AwsSinkSettings.Credentials(provider),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<KinesisSink>();
        services.AddSingleton<IEventSink>(provider => provider.GetRequiredService<KinesisSink>());
        services.AddSingleton<IShardRouting>(provider => provider.GetRequiredService<KinesisSink>());
        services.AddHostedService<KinesisStreamMonitor>();
        return services;
    }
}
