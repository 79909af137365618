using System.Net;
using System.Net.Sockets;

namespace Tracking.ServiceDefaults;

/// <summary>How the hosts count a client by its address, for rate limits and wrong-key lockouts.</summary>
public static class ClientAddress
{
    /// <summary>
    /// The key <paramref name="address"/> is counted under: IPv4 addresses (also when mapped into IPv6) as they
    /// are, IPv6 addresses per /64, the block one subscriber usually holds; "unknown" when there is none.
    /// </summary>
    public static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear();
            return new IPAddress(bytes).ToString() + "/64";
        }

        return address.ToString();
    }
}
