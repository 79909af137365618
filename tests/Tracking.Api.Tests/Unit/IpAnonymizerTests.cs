using System.Net;
using Tracking.Api.Enrichment;

namespace Tracking.Api.Tests.Unit;

public class IpAnonymizerTests
{
    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0")]
    [InlineData("::ffff:203.0.113.77", "203.0.113.0")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::")]
    [InlineData("::1", "::")]
    public void KeepsOnlyTheNetworkPart(string address, string expected)
    {
        Assert.Equal(expected, IpAnonymizer.Anonymize(IPAddress.Parse(address)).ToString());
    }

    [Fact]
    public void TextThatIsNotAnAddressIsDropped() => Assert.Null(IpAnonymizer.Anonymize("not-an-ip"));
}
