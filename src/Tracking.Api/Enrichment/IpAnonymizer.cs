using System.Net;
using System.Net.Sockets;

namespace Tracking.Api.Enrichment;

/// <summary>Truncates addresses the way Google Analytics does: /24 for IPv4, /48 for IPv6.</summary>
internal static class IpAnonymizer
{
    public static IPAddress Anonymize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var keep = address.AddressFamily == AddressFamily.InterNetwork ? 3 : 6;
        Array.Clear(bytes, keep, bytes.Length - keep);
        return new IPAddress(bytes);
    }

    /// <summary>Anonymizes a client-supplied address; text that is not an address is kept out entirely.</summary>
    public static string? Anonymize(string address) =>
        IPAddress.TryParse(address, out var parsed) ? Anonymize(parsed).ToString() : null;
}
