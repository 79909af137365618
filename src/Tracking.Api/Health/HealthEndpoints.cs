using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Health;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: the sink delivers and the queue has room.</summary>
internal static partial class HealthEndpoints
{
    /// <summary>The tag of the checks readiness runs.</summary>
    internal const string Ready = "ready";

    // The health check service logs every unhealthy check of every poll as an error; readiness changes are logged below instead, once each.
    private const string PerPollLogCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    public static IServiceCollection AddTrackingHealthChecks(this IServiceCollection services)
    {
        services.AddLogging(logging => logging.AddFilter(PerPollLogCategory, LogLevel.None));
        services.AddHealthChecks()
            .AddCheck<SinkHealthCheck>("sink", tags: [Ready])
            .AddCheck<QueueHealthCheck>("queue", tags: [Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthReportWriter.WriteAsync });
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HealthEndpoints).FullName!);
        var last = new System.Runtime.CompilerServices.StrongBox<int>((int)HealthStatus.Healthy);
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(Ready),
            ResponseWriter = (http, report) =>
            {
                LogIfChanged(logger, report, last);
                return HealthReportWriter.WriteAsync(http, report);
            },
        });
        return app;
    }

    /// <summary>Logs readiness when it changes, with the reasons: once per change, however often it is polled.</summary>
    private static void LogIfChanged(ILogger logger, HealthReport report, System.Runtime.CompilerServices.StrongBox<int> last)
    {
        var previous = (HealthStatus)Interlocked.Exchange(ref last.Value, (int)report.Status);
        if (previous == report.Status)
        {
            return;
        }

        var reasons = string.Join("; ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}"));
        if (report.Status == HealthStatus.Healthy)
        {
            LogReady(logger, previous);
        }
        else
        {
            LogNotReady(logger, report.Status, reasons);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready again (was {Previous})")]
    private static partial void LogReady(ILogger logger, HealthStatus previous);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready ({Status}): {Reasons}")]
    private static partial void LogNotReady(ILogger logger, HealthStatus status, string reasons);

    private sealed class SinkHealthCheck(IEventSink sink, DeliveryHealth status, IOptions<BatchingOptions> batching) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (status.LastError is { } error)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"Failing since {status.FailingSince:O}: {error}"));
            }

            // A hung endpoint fails nothing until its timeouts run out; a delivery this old says so now.
            if (status.OldestDeliveryAge is { } age && age > batching.Value.StalledAfter)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy(
                    $"A delivery to the {sink.Name} sink has been waiting {age.TotalSeconds:0.#} s (Tracking:Batching:StalledAfter {batching.Value.StalledAfter.TotalSeconds:0.#} s): the endpoint may be hung."));
            }

            return Task.FromResult(HealthCheckResult.Healthy($"{sink.Name} sink delivering"));
        }
    }

    private sealed class QueueHealthCheck(IEventQueue queue, TimeProvider time) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var oldest = queue.OldestAcceptedAt is { } at ? $", the oldest accepted {(time.GetUtcNow() - at).TotalSeconds:0.#} s ago" : "";
            var kind = queue.IsDurable ? "spool" : "queue";
            var capacity = queue.CapacityEvents == int.MaxValue ? "" : $" of {queue.CapacityEvents}";
            var description = $"{kind}: {queue.Depth}{capacity} events, {queue.DepthBytes} of {queue.CapacityBytes} bytes waiting for the sink{oldest}";
            return Task.FromResult(queue.IsFull
                ? HealthCheckResult.Unhealthy("Full, answering 503: " + description)
                : HealthCheckResult.Healthy(description));
        }
    }
}
