using FluentValidation;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Tracking.Api.Enrichment;
using Tracking.Api.Privacy;
using Tracking.Api.Suppression;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Ingestion;

internal static class IngestionSetup
{
    /// <summary>The endpoints' services: write keys, rate limits, validation, enrichment, decompression, client IPs.</summary>
    public static WebApplicationBuilder AddIngestion(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrackingOptions>().BindConfiguration(TrackingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrackingOptions>, TrackingOptionsValidator>();
        services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        services.AddValidatedOptions<ClientIpOptions>(ClientIpOptions.Section);

        services.AddSingleton<WriteKeys>();
        services.AddSingleton<WriteKeyRateLimiter>();
        services.AddSingleton<WriteKeyFilter>();
        services.AddSingleton<ClientAddressRateLimiter>();
        services.AddSingleton<ClientAddressFilter>();
        services.AddSingleton<QueueAdmissionFilter>();
        services.AddValidatorsFromAssemblyContaining<MessageValidator>(ServiceLifetime.Singleton, includeInternalTypes: true);
        // Bound by hand: the binder skips bad values inside a dictionary without a word (see EnrichmentSettings).
        services.AddValidatedOptions<EnrichmentOptions>().Configure<IConfiguration>(EnrichmentSettings.Bind);
        services.AddSingleton<ContextEnrichment>();
        services.AddHostedService(sp => sp.GetRequiredService<ContextEnrichment>());
        services.AddSingleton<EventEnricher>();
        services.AddSingleton<ForwardedHeadersWatch>();
        services.AddPrivacyRules();
        services.AddSuppression();
        services.AddSingleton<MessageScreening>();
        services.AddSingleton<IngestionHandler>();

        services.AddRequestDecompression();
        services.AddTrackingCors(builder.Configuration);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, IngestionJsonContext.Default));

        // Twice the batch limit on the wire; the handler enforces the real limits after decompression.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 2L * ProtocolLimits.MaxBatchBytes);

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ClientIpOptions>>((forwarded, clientIp) =>
        {
            // Only the trusted peers are believed (ClientIpOptions.Mode). With its lists empty the middleware
            // trusts everyone, so with no one to trust it must stay off.
            // Listed proxies are believed for the host they forward too. Trusted only for being on a private network,
            // a peer is believed for the address and the scheme, never the host: a load balancer such as an ALB
            // passes a client's own X-Forwarded-Host through. Every trusted hop is walked (a balancer in front of
            // an ingress controller is two private hops), so the first untrusted address is the client.
            var trusted = clientIp.Value.TrustedNetworks().ToList();
            var listed = clientIp.Value.TrustedProxies.Count > 0;
            forwarded.ForwardedHeaders = trusted.Count == 0
                ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | (listed ? ForwardedHeaders.XForwardedHost : ForwardedHeaders.None);
            forwarded.ForwardLimit = null;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            trusted.ForEach(forwarded.KnownIPNetworks.Add);
        });

        return builder;
    }
}
