namespace Tracking.ServiceDefaults;

/// <summary>
/// The standard OTLP exporter variables as the host was given them, checked at start: the SDK itself ignores a
/// malformed endpoint or protocol without a word (it falls back to its defaults), so an operator who named a
/// collector would silently export nothing.
/// </summary>
public sealed class OtlpExportOptions : IValidatedOptions
{
    /// <summary>The setting that names the protocol: <c>grpc</c> (the SDK's default, port 4317) or <c>http/protobuf</c> (port 4318).</summary>
    public const string ProtocolSetting = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary><c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: the collector's base address; empty turns OTLP export off.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>OTEL_EXPORTER_OTLP_PROTOCOL</c>; empty means the SDK's default, <c>grpc</c>.</summary>
    public string? Protocol { get; set; }

    /// <summary>Every broken rule, each naming its setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (!string.IsNullOrWhiteSpace(Endpoint)
            && !(Uri.TryCreate(Endpoint.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            yield return $"{TelemetryDefaults.OtlpEndpointSetting} '{Endpoint}' is not an absolute http:// or https:// URL (e.g. http://otel-collector:4318); leave it empty to export nothing.";
        }

        if (!string.IsNullOrWhiteSpace(Protocol) && Protocol.Trim() is not ("grpc" or "http/protobuf"))
        {
            yield return $"{ProtocolSetting} '{Protocol}' is not one this exporter speaks: use grpc or http/protobuf.";
        }
    }
}
