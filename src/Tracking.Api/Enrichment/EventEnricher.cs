using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Ingestion;
using Tracking.Api.Telemetry;
using Tracking.Events;

namespace Tracking.Api.Enrichment;

/// <summary>
/// Turns a validated message into the event the sinks store: server receive time,
/// clock-skew-corrected timestamp, a messageId, the client's IP and user agent, the source name.
/// Object fields are copied from the request bytes without being parsed again.
/// </summary>
internal sealed class EventEnricher(IOptions<ClientIpOptions> clientIp, ContextEnrichment? enrichment = null)
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Events are data, not HTML: keep non-ASCII text as UTF-8 instead of \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly bool _anonymize = clientIp.Value.Anonymize;

    /// <summary>Reusable buffers for one request, used by one thread at a time.</summary>
    public sealed class Scratch : IDisposable
    {
        internal readonly ArrayBufferWriter<byte> Buffer = new(4096);
        internal readonly ArrayBufferWriter<byte> Context = new(1024);
        internal readonly Utf8JsonWriter Writer;
        internal readonly HashSet<string> ContextNames = new(StringComparer.Ordinal);
        internal readonly ContextEnrichment.Work Enrichment = new();
        private bool _prepared;

        /// <summary>Set by <see cref="Enrich"/>: where the event goes. For <see cref="EnrichmentVerdict.Drop"/> (a bot its
        /// source refuses) its result is empty.</summary>
        internal EnrichmentVerdict Verdict { get; set; }

        public Scratch() => Writer = new Utf8JsonWriter(Buffer, WriterOptions);

        /// <summary><c>"ip":"…"</c> as JSON, empty when the address is unknown.</summary>
        internal ReadOnlyMemory<byte> IpMember { get; private set; }

        /// <summary><c>"userAgent":"…"</c> as JSON, empty when the request had no User-Agent.</summary>
        internal ReadOnlyMemory<byte> UserAgentMember { get; private set; }

        /// <summary>Encodes the request's own context members once, for every event of the request.</summary>
        internal void Prepare(in RequestMetadata meta)
        {
            if (_prepared)
            {
                return;
            }

            _prepared = true;
            IpMember = Member(EventFields.ContextIp, meta.ClientIp);
            UserAgentMember = Member(EventFields.ContextUserAgent, meta.UserAgent);
        }

        private static ReadOnlyMemory<byte> Member(string name, string? value)
        {
            if (value is null)
            {
                return default;
            }

            var buffer = new ArrayBufferWriter<byte>(64);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString(name, value);
                writer.WriteEndObject();
            }

            return buffer.WrittenMemory[1..^1];
        }

        public void Dispose() => Writer.Dispose();
    }

    /// <summary>What the server knows of <paramref name="http"/>: when it was read, the client's address (anonymized when configured), its user agent, its source.</summary>
    public RequestMetadata Describe(HttpContext http, DateTimeOffset receivedAt, string source)
    {
        var address = http.Connection.RemoteIpAddress;
        string? ip = null;
        if (address is not null)
        {
            ip = _anonymize ? IpAnonymizer.Anonymize(address).ToString() : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        }

        var userAgent = http.Request.Headers.UserAgent;
        return new RequestMetadata(receivedAt, ip, userAgent.Count > 0 ? userAgent.ToString() : null, source, TrackingTracing.RequestTraceParent(),
            enrichment?.Describe(http, source));
    }

    public EnrichedEvent Enrich(IncomingMessage m, ParsedRequest request, in RequestMetadata meta, Scratch scratch)
    {
        // What the context gains is known before anything is written, so a refused bot costs no writing.
        var additions = ReadOnlySpan<ContextAddition>.Empty;
        scratch.Verdict = EnrichmentVerdict.Store;
        if (meta.Enrichment is { } requestEnrichment)
        {
            scratch.Verdict = enrichment!.Collect(m, request, in meta, requestEnrichment, scratch.Enrichment);
            if (scratch.Verdict == EnrichmentVerdict.Drop)
            {
                return default;
            }

            additions = scratch.Enrichment.Additions;
        }

        scratch.Buffer.ResetWrittenCount();
        var w = scratch.Writer;
        w.Reset(scratch.Buffer);

        var messageId = string.IsNullOrEmpty(m.MessageId) ? Guid.CreateVersion7(meta.ReceivedAt).ToString() : m.MessageId;

        w.WriteStartObject();
        w.WriteString(EventFields.Type, m.Type!.Value.ToWireName());
        w.WriteString(EventFields.MessageId, messageId);
        WriteIfPresent(w, EventFields.UserId, m.UserId);
        WriteIfPresent(w, EventFields.AnonymousId, m.AnonymousId);
        WriteIfPresent(w, EventFields.Event, m.Event);
        WriteIfPresent(w, EventFields.Name, m.Name);
        WriteIfPresent(w, EventFields.Category, m.Category);
        WriteIfPresent(w, EventFields.GroupId, m.GroupId);
        WriteIfPresent(w, EventFields.PreviousId, m.PreviousId);
        WriteRawIfPresent(w, EventFields.Properties, m.Properties);
        WriteRawIfPresent(w, EventFields.Traits, m.Traits);
        if (request.SharedContext is null && !(_anonymize && m.ContextHasIp))
        {
            scratch.Prepare(meta);
            AppendToContext(w, m, scratch, additions);
        }
        else
        {
            WriteContext(w, m.Context, request.SharedContext, meta, scratch.ContextNames, additions);
        }

        WriteRawIfPresent(w, EventFields.Integrations, m.Integrations.IsEmpty ? request.BatchIntegrations : m.Integrations);
        WriteTimestamps(w, m, meta.ReceivedAt);
        w.WriteString(EventFields.Source, meta.SourceName);
        foreach (var (name, raw) in m.OtherFields ?? [])
        {
            w.WritePropertyName(name);
            w.WriteRawValue(raw.Span, skipInputValidation: true);
        }

        // Last, where EventTrace finds it without parsing the event.
        if (meta.TraceParent is { } traceParent)
        {
            w.WriteString(EventFields.TraceParent, traceParent);
        }

        w.WriteEndObject();
        w.Flush();

        return new EnrichedEvent(
            scratch.Buffer.WrittenSpan.ToArray(),
            messageId,
            PartitionKey: m.AnonymousId is { Length: > 0 } ? m.AnonymousId : m.UserId!);
    }

    /// <summary>
    /// timestamp = receivedAt − (sentAt − timestamp) when the client sent both, so a device whose
    /// clock is off still gets the right time; the client's own value is kept as originalTimestamp.
    /// </summary>
    internal static DateTimeOffset CorrectedTimestamp(DateTimeOffset? clientTimestamp, DateTimeOffset? sentAt, DateTimeOffset receivedAt) =>
        (clientTimestamp, sentAt) switch
        {
            ({ } ts, { } sent) => receivedAt - (sent - ts),
            ({ } ts, null) => ts,
            _ => receivedAt,
        };

    private static void WriteTimestamps(Utf8JsonWriter w, IncomingMessage m, DateTimeOffset receivedAt)
    {
        // analytics.js sends "timestamp"; some SDKs send only "originalTimestamp": both are the client's clock.
        // The validator has refused unreadable times, so a time that is present has a value.
        var client = m.ClientTimestamp?.Value;
        var sentAt = m.EffectiveSentAt?.Value;

        WriteTime(w, EventFields.Timestamp, CorrectedTimestamp(client, sentAt, receivedAt));
        if (client is { } original)
        {
            WriteTime(w, EventFields.OriginalTimestamp, original);
        }

        if (sentAt is { } sent)
        {
            WriteTime(w, EventFields.SentAt, sent);
        }

        WriteTime(w, EventFields.ReceivedAt, receivedAt);
    }

    /// <summary>Every time in one format, UTC to the millisecond (2026-11-21T10:15:30.120Z), whatever form the client used: warehouses parse one.</summary>
    internal static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset time)
    {
        Span<byte> text = stackalloc byte[24];
        time.UtcDateTime.TryFormat(text, out var written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        w.WriteString(name, text[..written]);
    }

    /// <summary>
    /// The usual case, no batch context and no client IP to anonymize: the client's context is copied
    /// as one block with the server's members appended, instead of member by member.
    /// </summary>
    private static void AppendToContext(Utf8JsonWriter w, IncomingMessage m, Scratch scratch, ReadOnlySpan<ContextAddition> additions)
    {
        var ip = m.ContextHasIp ? default : scratch.IpMember;
        var userAgent = m.ContextHasUserAgent ? default : scratch.UserAgentMember;
        var own = m.Context.Span;
        var block = scratch.Context;
        block.ResetWrittenCount();

        var hasMembers = false;
        if (own.IsEmpty)
        {
            block.Write("{"u8);
        }
        else
        {
            var close = own.LastIndexOf((byte)'}');
            var body = own[..close];
            block.Write(body);
            hasMembers = body.TrimEnd(" \t\r\n"u8)[^1] != (byte)'{';
        }

        foreach (var member in (ReadOnlySpan<ReadOnlyMemory<byte>>)[ip, userAgent])
        {
            if (!member.IsEmpty)
            {
                if (hasMembers)
                {
                    block.Write(","u8);
                }

                block.Write(member.Span);
                hasMembers = true;
            }
        }

        foreach (var addition in additions)
        {
            if (hasMembers)
            {
                block.Write(","u8);
            }

            block.Write(addition.QuotedName.Span);
            block.Write(":"u8);
            block.Write(addition.Value.Span);
            hasMembers = true;
        }

        block.Write("}"u8);
        w.WritePropertyName(EventFields.Context);
        w.WriteRawValue(block.WrittenSpan, skipInputValidation: true);
    }

    private void WriteContext(Utf8JsonWriter w, ReadOnlyMemory<byte> own, SharedContext? shared, in RequestMetadata meta, HashSet<string> names, ReadOnlySpan<ContextAddition> additions)
    {
        names.Clear();
        var sawIp = false;
        var sawUserAgent = false;

        w.WriteStartObject(EventFields.Context);
        CopyMembers(w, own, names, trackNames: shared is not null, ref sawIp, ref sawUserAgent);
        foreach (var member in shared?.Members ?? [])
        {
            // Batch-level context fills what the message's own context leaves out.
            if (names.Contains(member.Name))
            {
                continue;
            }

            sawIp |= member.IsIp;
            sawUserAgent |= member.IsUserAgent;
            if (member.IsIp && _anonymize)
            {
                WriteAnonymizedIp(w, member.Value.Span);
                continue;
            }

            w.WritePropertyName(member.Name);
            w.WriteRawValue(member.Value.Span, skipInputValidation: true);
        }

        if (!sawIp && meta.ClientIp is not null)
        {
            w.WriteString(EventFields.ContextIp, meta.ClientIp);
        }

        if (!sawUserAgent && meta.UserAgent is not null)
        {
            w.WriteString(EventFields.ContextUserAgent, meta.UserAgent);
        }

        foreach (var addition in additions)
        {
            w.WritePropertyName(addition.Name.Span);
            w.WriteRawValue(addition.Value.Span, skipInputValidation: true);
        }

        w.WriteEndObject();
    }

    private static void WriteAnonymizedIp(Utf8JsonWriter w, ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value);
        reader.Read();
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (text is not null && IpAnonymizer.Anonymize(text) is { } anonymized)
        {
            w.WriteString(EventFields.ContextIp, anonymized);
        }
    }

    private void CopyMembers(Utf8JsonWriter w, ReadOnlyMemory<byte> obj, HashSet<string> names, bool trackNames, ref bool sawIp, ref bool sawUserAgent)
    {
        if (obj.IsEmpty)
        {
            return;
        }

        var reader = new Utf8JsonReader(obj.Span);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIp = reader.ValueTextEquals(EventFields.ContextIp);
            var isUserAgent = reader.ValueTextEquals(EventFields.ContextUserAgent);
            var nameBytes = reader.ValueSpan;
            string? name = null;
            if (trackNames || reader.ValueIsEscaped)
            {
                name = reader.GetString()!;
            }

            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var raw = obj.Span[start..(int)reader.BytesConsumed];

            if (trackNames)
            {
                names.Add(name!);
            }

            sawIp |= isIp;
            sawUserAgent |= isUserAgent;

            if (isIp && _anonymize)
            {
                WriteAnonymizedIp(w, raw);
                continue;
            }

            if (name is not null)
            {
                w.WritePropertyName(name);
            }
            else
            {
                w.WritePropertyName(nameBytes);
            }

            w.WriteRawValue(raw, skipInputValidation: true);
        }
    }

    private static void WriteIfPresent(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteRawIfPresent(Utf8JsonWriter w, string name, ReadOnlyMemory<byte> raw)
    {
        if (!raw.IsEmpty)
        {
            w.WritePropertyName(name);
            w.WriteRawValue(raw.Span, skipInputValidation: true);
        }
    }
}
