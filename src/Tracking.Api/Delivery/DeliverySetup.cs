using Microsoft.Extensions.Options;
using Tracking.Api.Delivery.Firehose;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Api.Ingestion;
using Tracking.Api.Spool;
using Tracking.Api.Telemetry;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery;

internal static class DeliverySetup
{
    /// <summary>The queue, the batcher and the sink <c>Tracking:Sink</c> names.</summary>
    public static WebApplicationBuilder AddDelivery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<QueueOptions>(QueueOptions.Section);
        services.AddValidatedOptions<BatchingOptions>(BatchingOptions.Section);
        services.AddValidatedOptions<SpoolOptions>(SpoolOptions.Section);
        services.ResolveFolder<SpoolOptions>(spool => spool.Directory, (spool, folder) => spool.Directory = folder);
        var durability = builder.Configuration.GetValue($"{SpoolOptions.Section}:{nameof(SpoolOptions.Durability)}", Durability.Fsync);
        if (durability == Durability.Memory)
        {
            services.AddSingleton<IEventQueue, EventQueue>();
        }
        else
        {
            services.AddSingleton<EventSpool>();
            services.AddSingleton<IEventQueue>(provider => provider.GetRequiredService<EventSpool>());
        }

        services.AddSingleton<DeliveryHealth>();
        services.AddSingleton<TrackingMetrics>();
        services.AddHostedService<EventBatcher>();

        var sink = builder.Configuration.GetValue($"{TrackingOptions.Section}:{nameof(TrackingOptions.Sink)}", SinkKind.File);
        switch (sink)
        {
            case SinkKind.File:
                services.AddValidatedOptions<FileSinkOptions>(FileSinkOptions.Section);
                services.ResolveFolder<FileSinkOptions>(file => file.Directory, (file, folder) => file.Directory = folder);
                services.AddSingleton<IEventSink, FileSink>();
                break;
            case SinkKind.Kinesis:
                services.AddKinesisSink();
                break;
            case SinkKind.Firehose:
                services.AddFirehoseSink();
                break;
            default:
                throw new OptionsValidationException("Tracking:Sink", typeof(SinkKind), [$"Tracking:Sink '{sink}' is not a sink this version knows; use File, Kinesis or Firehose."]);
        }

        return builder;
    }

    /// <summary>Takes a relative folder setting from the content root rather than the working directory.</summary>
    private static void ResolveFolder<T>(this IServiceCollection services, Func<T, string> get, Action<T, string> set)
        where T : class =>
        services.AddOptions<T>().PostConfigure<IHostEnvironment>((options, environment) =>
        {
            if (!string.IsNullOrWhiteSpace(get(options)))
            {
                set(options, AppFolder.Resolve(environment, get(options)));
            }
        });
}
