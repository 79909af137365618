using System.Net;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Enrichment;

/// <summary>How <c>context.ip</c> is found and stored. Bound to <c>Tracking:ClientIp</c>.</summary>
internal sealed class ClientIpOptions : IValidatedOptions
{
    public const string Section = "Tracking:ClientIp";

    /// <summary>
    /// Loopback and the private ranges (RFC 1918, carrier-grade NAT RFC 6598, IPv6 unique local RFC 4193):
    /// where load balancers, ingress controllers and sidecars that front the API live, and where no
    /// client on the internet can connect from.
    /// </summary>
    public static readonly IReadOnlyList<IPNetwork> PrivateNetworks =
    [
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("fc00::/7"),
    ];

    /// <summary>
    /// Proxies and load balancers whose <c>X-Forwarded-For</c> header is believed: IP addresses
    /// (<c>10.0.0.5</c>) or networks in CIDR form (<c>10.0.0.0/8</c>). When set, only these are believed.
    /// Default: none, so <see cref="TrustPrivateNetworks"/> decides.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// With no <see cref="TrustedProxies"/>, believe <c>X-Forwarded-For</c> from loopback and private-network
    /// peers (<see cref="PrivateNetworks"/>), as behind a load balancer or ingress in the same network; a peer
    /// on the internet is never believed. <c>false</c>: believe no one, the connection's address is the
    /// client's. Default <c>true</c>.
    /// </summary>
    public bool TrustPrivateNetworks { get; set; } = true;

    /// <summary>
    /// Zero the host part of every stored IP: the last octet of IPv4, the last 80 bits of IPv6.
    /// Default <c>false</c>.
    /// </summary>
    public bool Anonymize { get; set; }

    /// <summary>Whose forwarded headers are believed: <c>listed</c>, <c>private-networks</c> or <c>none</c>.</summary>
    public string Mode => TrustedProxies.Count > 0 ? "listed" : TrustPrivateNetworks ? "private-networks" : "none";

    public IEnumerable<string> Validate()
    {
        foreach (var proxy in TrustedProxies)
        {
            if (!IPNetwork.TryParse(proxy, out _) && !IPAddress.TryParse(proxy, out _))
            {
                yield return $"{Section}:TrustedProxies has '{proxy}', which is neither an IP address nor a CIDR network such as 10.0.0.0/8.";
            }
        }
    }

    /// <summary>The peers whose <c>X-Forwarded-For</c> is believed, by <see cref="Mode"/>.</summary>
    public IReadOnlyList<IPNetwork> TrustedNetworks() =>
        TrustedProxies.Count > 0
            ? [.. TrustedProxies.Select(p => IPNetwork.TryParse(p, out var network)
                ? network
                : new IPNetwork(IPAddress.Parse(p), IPAddress.Parse(p).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))]
            : TrustPrivateNetworks ? PrivateNetworks : [];

    /// <summary>Whether <paramref name="address"/> is in <paramref name="networks"/>, an IPv4 address mapped to IPv6 (a dual-stack socket's) included.</summary>
    public static bool Contains(IReadOnlyList<IPNetwork> networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
