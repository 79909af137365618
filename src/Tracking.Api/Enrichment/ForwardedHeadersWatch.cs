using System.Net;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Enrichment;

/// <summary>
/// Makes the client-address rules visible: says at start-up whose <c>X-Forwarded-For</c> is believed,
/// and warns once when the header arrives from a peer that is not believed (a proxy missing from
/// <c>Tracking:ClientIp:TrustedProxies</c> makes every client look like one address, which then shares
/// one address's rate limits). The peer is kept for <c>/status</c>.
/// </summary>
internal sealed partial class ForwardedHeadersWatch
{
    private const string ForwardedFor = "X-Forwarded-For";

    private readonly IReadOnlyList<IPNetwork> _trusted;
    private readonly ILogger<ForwardedHeadersWatch> _logger;
    private readonly TimeProvider _time;
    private Untrusted? _untrusted;

    public ForwardedHeadersWatch(IOptions<ClientIpOptions> options, ILogger<ForwardedHeadersWatch> logger, TimeProvider time)
    {
        _trusted = options.Value.TrustedNetworks();
        _logger = logger;
        _time = time;
        Mode = options.Value.Mode;
        TrustedProxies = Mode switch
        {
            "listed" => [.. options.Value.TrustedProxies],
            "private-networks" => [.. ClientIpOptions.PrivateNetworks.Select(n => n.ToString())],
            _ => [],
        };
        switch (Mode)
        {
            case "listed":
                LogListed(logger, string.Join(", ", TrustedProxies));
                break;
            case "private-networks":
                LogPrivateNetworks(logger, string.Join(", ", TrustedProxies));
                break;
            default:
                LogNone(logger);
                break;
        }
    }

    /// <summary><c>listed</c>, <c>private-networks</c> or <c>none</c> (see <see cref="ClientIpOptions.Mode"/>).</summary>
    public string Mode { get; }

    /// <summary>The addresses and networks whose forwarded headers are believed.</summary>
    public IReadOnlyList<string> TrustedProxies { get; }

    /// <summary>The first peer that sent <c>X-Forwarded-For</c> without being believed, and when; null while none has.</summary>
    public Untrusted? FirstUntrusted => Volatile.Read(ref _untrusted);

    /// <summary>Looks at one request before the forwarded-headers middleware rewrites its address; after the first warning, a field read.</summary>
    public void Check(HttpContext http)
    {
        if (Volatile.Read(ref _untrusted) is not null || !http.Request.Headers.ContainsKey(ForwardedFor))
        {
            return;
        }

        var peer = http.Connection.RemoteIpAddress;
        if (ClientIpOptions.Contains(_trusted, peer))
        {
            return;
        }

        var seen = new Untrusted((peer?.IsIPv4MappedToIPv6 == true ? peer.MapToIPv4() : peer)?.ToString() ?? "unknown", _time.GetUtcNow());
        if (Interlocked.CompareExchange(ref _untrusted, seen, null) is null)
        {
            LogUntrusted(_logger, seen.Peer, Mode);
        }
    }

    /// <summary>A peer whose forwarded headers were ignored.</summary>
    /// <param name="Peer">Its address.</param>
    /// <param name="At">When it first sent them.</param>
    public sealed record Untrusted(string Peer, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client addresses: X-Forwarded-For is believed from the proxies in Tracking:ClientIp:TrustedProxies ({Proxies}) only; per-address limits and context.ip use the client they name.")]
    private static partial void LogListed(ILogger logger, string proxies);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client addresses: X-Forwarded-For is believed from loopback and private-network peers ({Networks}), the default for a load balancer in the same network; peers on the internet are never believed. List your proxies in Tracking:ClientIp:TrustedProxies to believe only them, or set Tracking:ClientIp:TrustPrivateNetworks=false to believe no one.")]
    private static partial void LogPrivateNetworks(ILogger logger, string networks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client addresses: X-Forwarded-For is ignored (Tracking:ClientIp:TrustPrivateNetworks=false, no TrustedProxies): the connection's address is the client's, for per-address limits and context.ip.")]
    private static partial void LogNone(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "X-Forwarded-For arrived from {Peer}, which is not a trusted proxy (mode {Mode}), and was ignored: that peer's address counts as the client's. If it is your load balancer or proxy, add it to Tracking:ClientIp:TrustedProxies, or every client behind it shares one address's rate limits. Logged once.")]
    private static partial void LogUntrusted(ILogger logger, string peer, string mode);
}
