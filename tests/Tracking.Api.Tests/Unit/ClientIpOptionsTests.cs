using System.Net;
using Tracking.Api.Enrichment;

namespace Tracking.Api.Tests.Unit;

public class ClientIpOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("2001:db8::1", false)]
    public void ByDefaultOnlyLoopbackAndPrivateNetworkPeersAreTrusted(string peer, bool trusted)
    {
        var options = new ClientIpOptions();

        Assert.Equal("private-networks", options.Mode);
        Assert.Equal(trusted, ClientIpOptions.Contains(options.TrustedNetworks(), IPAddress.Parse(peer)));
    }

    [Fact]
    public void ListedProxiesAreTheOnlyOnesTrustedAndWithoutPrivateNetworksNoOneIs()
    {
        var listed = new ClientIpOptions { TrustedProxies = ["203.0.113.9", "10.0.0.0/24"] };
        var none = new ClientIpOptions { TrustPrivateNetworks = false };

        Assert.Equal("listed", listed.Mode);
        Assert.True(ClientIpOptions.Contains(listed.TrustedNetworks(), IPAddress.Parse("203.0.113.9")));
        Assert.True(ClientIpOptions.Contains(listed.TrustedNetworks(), IPAddress.Parse("10.0.0.200")));
        Assert.False(ClientIpOptions.Contains(listed.TrustedNetworks(), IPAddress.Parse("10.0.1.1")));
        Assert.False(ClientIpOptions.Contains(listed.TrustedNetworks(), IPAddress.Parse("127.0.0.1")));
        Assert.Equal("none", none.Mode);
        Assert.Empty(none.TrustedNetworks());
    }
}
