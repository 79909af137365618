using Tracking.Consumer.Health;

namespace Tracking.Consumer;

/// <summary>The consumer's host settings: where it listens, its console log format, and how long it may take to stop.</summary>
internal static class ConsumerHostSetup
{
    /// <summary>Listens on <c>Consumer:Http:Urls</c> only, logs one line per message, and gives shutdown 60 s.</summary>
    public static WebApplicationBuilder ConfigureConsumerHost(this WebApplicationBuilder builder)
    {
        // Only this port serves HTTP: ASPNETCORE_URLS and the generic Urls setting do not apply to the consumer.
        var urls = builder.Configuration[$"{HttpOptions.Section}:{nameof(HttpOptions.Urls)}"] ?? HttpOptions.DefaultUrls;
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);

        // Shutdown waits for the loads in flight and the lease releases.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        return builder;
    }
}
