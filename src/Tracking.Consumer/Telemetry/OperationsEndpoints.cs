using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Tracking.Consumer.Leases;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Telemetry;

/// <summary>The consumer's admin key, bound from <c>Consumer:AdminKey</c>.</summary>
public sealed class OperationsOptions : IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer";

    /// <summary>
    /// The key <c>/metrics</c> and <c>/status.json</c> ask for, as <c>Authorization: Bearer &lt;key&gt;</c>.
    /// Default none: neither is served. At least 16 characters.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (AdminKeyCheck.Problem($"{Section}:AdminKey", string.IsNullOrEmpty(AdminKey) ? null : AdminKey) is { } problem)
        {
            yield return problem;
        }
    }
}

/// <summary>
/// <c>/metrics</c> (Prometheus text: the <c>Tracking.Consumer</c> meter and ASP.NET Core's) and <c>/status.json</c>
/// (the lag of each shard this worker reads and the shards it sees stuck, which the API's status page shows) on the consumer's HTTP port,
/// both behind <c>Consumer:AdminKey</c> and not served without it.
/// </summary>
internal static class OperationsEndpoints
{
    public static bool AdminKeySet(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[$"{OperationsOptions.Section}:{nameof(OperationsOptions.AdminKey)}"]);

    public static IServiceCollection AddOperationsEndpoints(this IServiceCollection services, IConfiguration configuration)
    {
        // The guard the API has too; the key is read per request, so validated options decide.
        services.AddAdminKeyAuthorization(new AdminKey(
            $"{OperationsOptions.Section}:{nameof(OperationsOptions.AdminKey)}",
            sp => sp.GetRequiredService<IOptions<OperationsOptions>>().Value.AdminKey));
        if (AdminKeySet(configuration))
        {
            // The meters (ours and ASP.NET Core's) are on the provider AddServiceDefaults set up: only the exporter is added.
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());
        }

        return services;
    }

    public static WebApplication MapOperationsEndpoints(this WebApplication app)
    {
        if (!AdminKeySet(app.Configuration))
        {
            return app;
        }

        app.MapPrometheusScrapingEndpoint("/metrics").RequireAdmin();
        app.MapGet("/status.json", (ConsumerMetrics metrics, Health.ShardHealth health, IOptions<WorkerOptions> worker) =>
            TypedResults.Json(
                new ConsumerStatus(worker.Value.WorkerId, metrics.LeasesHeldNow, metrics.ShardsBehind()) { StuckShards = health.Stuck() },
                ConsumerStatusJsonContext.Default.ConsumerStatus))
            .RequireAdmin();
        return app;
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsumerStatus))]
internal sealed partial class ConsumerStatusJsonContext : JsonSerializerContext;
