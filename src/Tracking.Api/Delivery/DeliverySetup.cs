using Tracking.Api.Delivery.Firehose;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Api.Ingestion;
using Tracking.Api.Telemetry;

namespace Tracking.Api.Delivery;

internal static class DeliverySetup
{
    /// <summary>The queue, the batcher and the sink <c>Tracking:Sink</c> names.</summary>
    public static WebApplicationBuilder AddDelivery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<QueueOptions>(QueueOptions.Section);
        services.AddValidatedOptions<BatchingOptions>(BatchingOptions.Section);
        services.AddSingleton<IEventQueue, EventQueue>();
        services.AddSingleton<SinkStatus>();
        services.AddSingleton<TrackingMetrics>();
        services.AddHostedService<EventBatcher>();

        var sink = builder.Configuration.GetValue($"{TrackingOptions.Section}:{nameof(TrackingOptions.Sink)}", SinkKind.File);
        switch (sink)
        {
            case SinkKind.File:
                services.AddValidatedOptions<FileSinkOptions>(FileSinkOptions.Section);
                services.AddOptions<FileSinkOptions>().PostConfigure<IHostEnvironment>((file, environment) =>
                {
                    if (!string.IsNullOrWhiteSpace(file.Directory))
                    {
                        file.Directory = AppFolder.Resolve(environment, file.Directory);
                    }
                });
                services.AddSingleton<IEventSink, FileSink>();
                break;
            case SinkKind.Kinesis:
                services.AddKinesisSink();
                break;
            case SinkKind.Firehose:
                services.AddFirehoseSink();
                break;
            default:
                throw new InvalidOperationException($"Tracking:Sink '{sink}' is not a sink this version knows; use File, Kinesis or Firehose.");
        }

        return builder;
    }
}
