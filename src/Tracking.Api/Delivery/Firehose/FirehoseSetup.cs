using Microsoft.Extensions.Options;
using Tracking.Aws.Firehose;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery.Firehose;

internal static class FirehoseSetup
{
    public const string HttpClientName = "Tracking.Firehose";

    /// <summary>The Firehose sink, its client on a named <see cref="HttpClient"/>, and the monitor that checks the stream.</summary>
    public static IServiceCollection AddFirehoseSink(this IServiceCollection services)
    {
        services.AddValidatedOptions<FirehoseSinkOptions>(FirehoseSinkOptions.Section).UseDefaultRegion(options => options);

        services.AddAwsHttpClient<FirehoseSinkOptions>(HttpClientName, options => options.RequestTimeout);
        services.AddSingleton<IFirehoseClient>(provider => new FirehoseClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            provider.GetRequiredService<IOptions<FirehoseSinkOptions>>().Value,
            AwsSinkSettings.Credentials(provider),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IEventSink, FirehoseSink>();
        services.AddHostedService<FirehoseStreamMonitor>();
        return services;
    }
}
