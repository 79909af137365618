using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tracking.Aws;

namespace Tracking.ServiceDefaults;

/// <summary>
/// How both hosts set up their AWS clients: the region's default, applied once to every <see cref="AwsClientSettings"/>
/// they bind, and the <see cref="HttpClient"/> the Kinesis and Firehose clients sign requests onto.
/// </summary>
public static class AwsClientSetup
{
    /// <summary>
    /// Fills the empty <c>Region</c> of the settings <paramref name="settings"/> picks out of <typeparamref name="TOptions"/>
    /// with <see cref="AwsClientSettings.RegionOrDefault"/> read from the configuration (<c>AWS_REGION</c>, else
    /// <c>AWS_DEFAULT_REGION</c>), and trims a configured one, before the options are validated.
    /// </summary>
    public static OptionsBuilder<TOptions> UseDefaultRegion<TOptions>(this OptionsBuilder<TOptions> builder, Func<TOptions, AwsClientSettings> settings)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        return builder.PostConfigure<IConfiguration>((options, configuration) =>
        {
            var aws = settings(options);
            aws.Region = aws.RegionOrDefault(key => configuration[key]);
        });
    }

    /// <summary>
    /// A named client on a handler that lives as long as the app (the AWS client is a singleton) yet still
    /// reconnects every few minutes so DNS changes of the endpoint are picked up. The factory's per-request
    /// log lines are removed: at thousands of puts a minute they would drown the caller's own messages.
    /// </summary>
    public static IHttpClientBuilder AddAwsHttpClient<TOptions>(this IServiceCollection services, string name, Func<TOptions, TimeSpan> timeout)
        where TOptions : class =>
        services.AddHttpClient(name)
            .ConfigureHttpClient((provider, http) => http.Timeout = timeout(provider.GetRequiredService<IOptions<TOptions>>().Value))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
}
