using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Tracking.Api.Ingestion;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Limits;

/// <summary>
/// Bounds on what clients can make the process hold, whatever they send: connections (from the
/// open-file limit), bytes read ahead per connection, ingestion requests in progress and waiting,
/// and the time one request may take.
/// </summary>
internal static partial class LimitsSetup
{
    /// <summary>The rate limiter and request timeout policy of the ingestion endpoints.</summary>
    public const string IngestionPolicy = "ingestion";

    private const string RefusedConnectionsLogCategory = "Microsoft.AspNetCore.Server.Kestrel.Connections";

    public static WebApplicationBuilder AddLimits(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<LimitsOptions>(LimitsOptions.Section);

        // Kestrel warns once per refused connection: a client holding connections would flood the log (and slow
        // the refusals that free its descriptors). Refusals are counted in tracking.connections.refused.
        builder.Logging.AddFilter(RefusedConnectionsLogCategory, LogLevel.Error);

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>, ILoggerFactory>((kestrel, limits, logs) =>
        {
            var logger = logs.CreateLogger(typeof(LimitsSetup).FullName!);
            var options = limits.Value;
            var descriptors = options.MaxConnections > 0 ? FileDescriptorLimit.Current() : FileDescriptorLimit.RaiseToHardLimit();
            var inUse = FileDescriptorLimit.InUse() ?? 0;
            var connections = options.MaxConnections > 0 ? options.MaxConnections : descriptors is { } d ? FileDescriptorLimit.ConnectionsFor(d, inUse) : (int?)null;
            kestrel.Limits.MaxConcurrentConnections = connections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = connections;
            kestrel.Limits.MaxRequestBufferSize = options.RequestBufferBytes;
            LogConnectionLimit(logger, connections?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited", descriptors?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", inUse);
        });

        // The connection limit is kept where connections are accepted (see ConnectionCapListenerFactory); Kestrel's own
        // refusal, queued per connection, stays behind it.
        // Every transport is wrapped (on Windows Kestrel adds named pipes after the sockets), in their order, sharing one count.
        var transports = services.Where(s => s.ServiceType == typeof(IConnectionListenerFactory) && !s.IsKeyedService).ToList();
        if (transports.Count > 0)
        {
            services.AddSingleton<ConnectionCapListenerFactory.OpenConnections>();
            foreach (var transport in transports)
            {
                services.Remove(transport);
                services.AddSingleton<IConnectionListenerFactory>(provider => new ConnectionCapListenerFactory(
                    (IConnectionListenerFactory)(transport.ImplementationInstance
                        ?? transport.ImplementationFactory?.Invoke(provider)
                        ?? ActivatorUtilities.CreateInstance(provider, transport.ImplementationType!)),
                    provider.GetRequiredService<IOptions<KestrelServerOptions>>(),
                    provider.GetRequiredService<Telemetry.TrackingMetrics>(),
                    provider.GetRequiredService<ConnectionCapListenerFactory.OpenConnections>()));
            }
        }

        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LimitsOptions>>((limiter, limits) =>
        {
            limiter.AddConcurrencyLimiter(IngestionPolicy, concurrency =>
            {
                concurrency.PermitLimit = limits.Value.MaxConcurrentRequests;
                concurrency.QueueLimit = limits.Value.QueuedRequests;
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            var perAddress = limits.Value.MaxConcurrentRequestsPerAddress;
            if (perAddress > 0)
            {
                // Checked before the shared slots: one address waits for none of them once it holds its share.
                limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    http.Request.Path.StartsWithSegments("/v1")
                        ? RateLimitPartition.GetConcurrencyLimiter(Tracking.ServiceDefaults.ClientAddress.KeyOf(http.Connection.RemoteIpAddress), _ => new ConcurrencyLimiterOptions { PermitLimit = perAddress, QueueLimit = 0 })
                        : RateLimitPartition.GetNoLimiter(string.Empty));
            }

            limiter.OnRejected = (context, _) =>
            {
                var http = context.HttpContext;
                var addressFull = limiter.GlobalLimiter?.GetStatistics(http)?.CurrentAvailablePermits == 0;
                http.Response.Headers.RetryAfter = "1";
                var refusal = addressFull ? Refusals.TooManyAtOnce(perAddress) : Refusals.Busy();
                http.RequestServices.GetRequiredService<Debugger.RefusalTap>().Observe(http, refusal);
                return new ValueTask(refusal.ExecuteAsync(http));
            };
        });
        services.AddRateLimiter(_ => { });

        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<LimitsOptions>>((timeouts, limits) =>
            timeouts.AddPolicy(IngestionPolicy, new RequestTimeoutPolicy
            {
                Timeout = limits.Value.RequestTimeout,
                TimeoutStatusCode = StatusCodes.Status408RequestTimeout,
                WriteTimeoutResponse = http => Refusals.TooSlow(limits.Value.RequestTimeout).ExecuteAsync(http),
            }));
        services.AddRequestTimeouts();
        return builder;
    }

    public static WebApplication UseLimits(this WebApplication app)
    {
        // The timeout first, so it also bounds the wait for a turn.
        app.UseRequestTimeouts();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Applies the ingestion endpoints' concurrency limit and request timeout.</summary>
    public static TBuilder WithIngestionLimits<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(IngestionPolicy).WithMetadata(new Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutAttribute(IngestionPolicy));

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepting at most {Connections} connections at once (open-file limit {Descriptors}, {InUse} open at start-up, the rest kept for files and sinks); further connections are closed as they arrive.")]
    private static partial void LogConnectionLimit(ILogger logger, string connections, string descriptors, int inUse);
}
