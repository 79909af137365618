using Microsoft.Extensions.Options;
using Tracking.Api.Ingestion;

namespace Tracking.Api.SdkSettings;

/// <summary>
/// The address SDKs reach this API at, as the settings documents hand it back to them: <c>Tracking:PublicUrl</c>
/// when set, otherwise the request's own scheme and host. Behind a proxy listed in
/// <c>Tracking:ClientIp:TrustedProxies</c> the forwarded-headers middleware has already put
/// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> in their place (a private-network peer is believed for the
/// scheme only). A host taken from the request is the client's to choose, so such documents are cacheable by the
/// browser only (<c>private</c>); with <c>Tracking:PublicUrl</c> set they are the same for everyone and CDNs may keep them.
/// </summary>
internal sealed class PublicAddress(IOptions<TrackingOptions> options)
{
    /// <summary>Whether <c>Tracking:PublicUrl</c> is set: the address then does not depend on the request.</summary>
    public bool IsConfigured => options.Value.PublicUrl is { Length: > 0 };

    /// <summary>The base URL without a trailing slash, such as <c>https://api.example.com</c>.</summary>
    public Uri BaseUrl(HttpRequest request)
    {
        if (options.Value.PublicUrl is { Length: > 0 } configured)
        {
            return new Uri(configured.TrimEnd('/'));
        }

        return new Uri($"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}".TrimEnd('/'));
    }

    /// <summary>Host, port and path without the scheme, as Segment's <c>apiHost</c> wants it (<c>api.example.com/v1</c>).</summary>
    public static string HostAndPath(Uri baseUrl, string path) =>
        $"{baseUrl.Authority}{baseUrl.AbsolutePath.TrimEnd('/')}{path}";
}
