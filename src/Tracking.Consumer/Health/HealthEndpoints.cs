using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Shards;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Health;

/// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: the database answers, the stream exists,
/// the lease store (the warehouse, a lease database or DynamoDB, and for Redshift its checkpoints) can be read, and no
/// shard is stuck (<see cref="ShardHealth"/>: failing again and again, or held without a commit while records wait).</summary>
internal static class HealthEndpoints
{
    private const string Ready = "ready";

    public static IServiceCollection AddConsumerHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<StreamHealthCheck>("stream", tags: [Ready])
            .AddCheck<LeaseStoreHealthCheck>("leases", tags: [Ready])
            .AddCheck<ShardProgressHealthCheck>("shards", tags: [Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = HealthReportWriter.WriteAsync });
        return app;
    }

    private sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy("warehouse database reachable");
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"warehouse database unreachable: {exception.Message}");
            }
        }
    }

    private sealed class StreamHealthCheck(IKinesisClient kinesis, IOptions<StreamOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var summary = await kinesis.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = options.Value.StreamName }, cancellationToken);
                return HealthCheckResult.Healthy($"stream {summary.StreamDescriptionSummary.StreamName} is {summary.StreamDescriptionSummary.StreamStatus}");
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy($"stream {options.Value.StreamName} not reachable: {exception.Message}");
            }
        }
    }

    private sealed class ShardProgressHealthCheck(ShardHealth health) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var stuck = health.Stuck();
            var unready = stuck.Where(s => s.Unready).ToList();
            return Task.FromResult(unready.Count > 0
                ? HealthCheckResult.Unhealthy($"{unready.Count} shard(s) stuck: {string.Join("; ", unready.Select(s => $"{s.ShardId} {s.State}, {s.Reason}"))}")
                : HealthCheckResult.Healthy(stuck.Count == 0 ? "every shard advancing" : $"{stuck.Count} shard(s) retrying: {string.Join(", ", stuck.Select(s => s.ShardId))}"));
        }
    }

    private sealed class LeaseStoreHealthCheck(ILeaseStore leases, IOptions<StreamOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var listed = await leases.ListAsync(options.Value.StreamName!, cancellationToken);
                return HealthCheckResult.Healthy($"lease store readable: {listed.Count} shards, {listed.Count(l => l.Owner is not null)} with an owner");
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy($"lease store unreadable: {exception.Message}");
            }
        }
    }
}
