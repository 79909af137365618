using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Tracking.Api.Enrichment;

/// <summary>How <c>context.ip</c> is found and stored. Bound to <c>Tracking:ClientIp</c>.</summary>
internal sealed class ClientIpOptions : IValidatableObject
{
    public const string Section = "Tracking:ClientIp";

    /// <summary>
    /// Proxies and load balancers whose <c>X-Forwarded-For</c> header is believed: IP addresses
    /// (<c>10.0.0.5</c>) or networks in CIDR form (<c>10.0.0.0/8</c>). Default: none, so the
    /// connection's address is used and the header ignored.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// Zero the host part of every stored IP: the last octet of IPv4, the last 80 bits of IPv6.
    /// Default <c>false</c>.
    /// </summary>
    public bool Anonymize { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in TrustedProxies)
        {
            if (!IPNetwork.TryParse(proxy, out _) && !IPAddress.TryParse(proxy, out _))
            {
                yield return new ValidationResult(
                    $"{Section}:TrustedProxies has '{proxy}', which is neither an IP address nor a CIDR network such as 10.0.0.0/8.",
                    [nameof(TrustedProxies)]);
            }
        }
    }

    public IEnumerable<IPNetwork> TrustedNetworks() =>
        TrustedProxies.Select(p => IPNetwork.TryParse(p, out var network)
            ? network
            : new IPNetwork(IPAddress.Parse(p), IPAddress.Parse(p).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
}
