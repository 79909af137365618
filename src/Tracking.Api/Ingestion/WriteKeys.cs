using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Ingestion;

/// <summary>Maps write keys to source names. The key itself is never stored or logged.</summary>
internal sealed partial class WriteKeys
{
    /// <summary>The source name given to every key when none are configured in Development.</summary>
    public const string DevelopmentSource = "development";

    private readonly Dictionary<string, string> _keys;
    private readonly bool _acceptAny;

    public WriteKeys(IOptions<TrackingOptions> options, IHostEnvironment environment, ILogger<WriteKeys> logger)
    {
        _keys = new Dictionary<string, string>(options.Value.WriteKeys, StringComparer.Ordinal);
        _acceptAny = _keys.Count == 0 && environment.IsDevelopment();
        if (_acceptAny)
        {
            LogAcceptingAnyKey(logger);
        }
    }

    /// <summary>True when no keys are configured in Development, so every key is accepted as <see cref="DevelopmentSource"/>.</summary>
    public bool AcceptsAnyKey => _acceptAny;

    /// <summary>Whether <paramref name="source"/> is the source of some write key (<see cref="DevelopmentSource"/> when any key is accepted).</summary>
    public bool Knows(string source) => _acceptAny ? source == DevelopmentSource : _keys.ContainsValue(source);

    /// <summary>The source names the write keys map to, each once, in order.</summary>
    public IEnumerable<string> Sources => _acceptAny ? [DevelopmentSource] : _keys.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    /// <summary>The source name of <paramref name="writeKey"/>, or null when the key is missing or unknown.</summary>
    public string? SourceOf(string? writeKey)
    {
        if (string.IsNullOrEmpty(writeKey))
        {
            return null;
        }

        if (_keys.TryGetValue(writeKey, out var source))
        {
            return source;
        }

        return _acceptAny ? DevelopmentSource : null;
    }

    /// <summary>
    /// The write key from <c>Authorization: Basic base64(writeKey:)</c>, as the Segment SDKs send it.
    /// Null when there is no Basic header; empty when the header is there but unreadable.
    /// </summary>
    public static string? FromAuthorizationHeader(string? header)
    {
        const string scheme = "Basic ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var encoded = header.AsSpan(scheme.Length).Trim();
        Span<byte> decoded = stackalloc byte[Math.Min(Base64.GetMaxDecodedFromUtf8Length(encoded.Length), 1024)];
        if (encoded.Length > 1360 || !Convert.TryFromBase64Chars(encoded, decoded, out var written))
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(decoded[..written]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? text : text[..colon];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No write keys are configured (Tracking:WriteKeys): in Development every write key is accepted as source 'development'. Configure keys before exposing this API.")]
    private static partial void LogAcceptingAnyKey(ILogger logger);
}
