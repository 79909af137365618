using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Tracking.Consumer.Leases;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Telemetry;

/// <summary>The consumer's admin key, bound from <c>Consumer:AdminKey</c>.</summary>
public sealed class OperationsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer";

    /// <summary>
    /// The key <c>/metrics</c> and <c>/status.json</c> ask for, as <c>Authorization: Bearer &lt;key&gt;</c>.
    /// Default none: neither is served. At least 16 characters.
    /// </summary>
    public string? AdminKey { get; set; }

    internal IEnumerable<string> Validate()
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
    private static readonly string[] Guarded = ["/metrics", "/status.json", Redrive.RedriveEndpoints.Path, Regulations.RegulationEndpoints.Path];

    public static bool AdminKeySet(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[$"{OperationsOptions.Section}:{nameof(OperationsOptions.AdminKey)}"]);

    public static IServiceCollection AddOperationsEndpoints(this IServiceCollection services, IConfiguration configuration)
    {
        if (AdminKeySet(configuration))
        {
            services.AddSingleton<AdminKeyGuesses>();
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

        // The key is read per request: options are validated (and a bad key reported) only when the consumer runs.
        // Routing matches "/METRICS" and "/metrics/" too, so the guard compares as routing does, not ordinally.
        // Wrong keys count per client address: after AdminKeyGuesses.Allowed in its window, the address waits (429).
        var guesses = app.Services.GetRequiredService<AdminKeyGuesses>();
        app.Use(async (http, next) =>
        {
            if (!Array.Exists(Guarded, path => http.Request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase)))
            {
                await next(http);
                return;
            }

            var address = ClientAddress.KeyOf(http.Connection.RemoteIpAddress);
            if (guesses.LockedOut(address, out var retryAfter))
            {
                await guesses.RefuseAsync(http, retryAfter);
                return;
            }

            var presented = AdminKeyCheck.FromBearer(http.Request.Headers.Authorization);
            if (!AdminKeyCheck.Matches(http.RequestServices.GetRequiredService<IOptions<OperationsOptions>>().Value.AdminKey!, presented))
            {
                if (presented is not null)
                {
                    guesses.Wrong(address);
                }

                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"tracking-admin\"";
                await TypedResults.Problem(
                    statusCode: StatusCodes.Status401Unauthorized,
                    title: "Admin key required",
                    detail: "Send the consumer's admin key (Consumer:AdminKey) as 'Authorization: Bearer <key>'.").ExecuteAsync(http);
                return;
            }

            await next(http);
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/status.json", (ConsumerMetrics metrics, Health.ShardHealth health, IOptions<WorkerOptions> worker) =>
            TypedResults.Json(
                new ConsumerStatus(worker.Value.WorkerId, metrics.LeasesHeldNow, metrics.ShardsBehind()) { StuckShards = health.Stuck() },
                ConsumerStatusJsonContext.Default.ConsumerStatus));
        return app;
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsumerStatus))]
internal sealed partial class ConsumerStatusJsonContext : JsonSerializerContext;
