using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Tracking.Api.Ingestion;

/// <summary>
/// A request body read into a pooled buffer, never more than the limit plus one byte: a gzip
/// bomb inflates only that far before it is refused.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;
    private byte[]? _sent;
    private int _sentLength;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public Span<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>The body as the client sent it, before <see cref="Compact"/>; the same as <see cref="Memory"/> until then.</summary>
    public ReadOnlyMemory<byte> AsSent => _sent is null ? Memory : _sent.AsMemory(0, _sentLength);

    /// <summary>
    /// Replaces the body by a copy without whitespace between tokens, in a second pooled buffer: the text as sent is kept
    /// (<see cref="AsSent"/>) so a refusal can name a line and byte of what the client sent. Returns whether whitespace
    /// joined two tokens (see <see cref="JsonText.Compact"/>), which only malformed JSON has, and where the first lone
    /// surrogate escape after <paramref name="from"/> (the first whitespace) sits, or -1.
    /// </summary>
    public bool Compact(int from, out int loneSurrogateAt)
    {
        var compacted = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));
        var length = JsonText.Compact(Span, compacted, from, out var joinsTokens, out loneSurrogateAt);
        _sent = _buffer;
        _sentLength = Length;
        _buffer = compacted;
        Length = length;
        return joinsTokens;
    }

    /// <summary>
    /// Reads the whole body, or says why it cannot: larger than <paramref name="limit"/> (413), a
    /// compressed body that does not decompress (400), a client too slow or gone (Kestrel's own 4xx).
    /// </summary>
    public static async Task<(RequestBody? Body, ProblemHttpResult? Refusal)> ReadAsync(HttpRequest request, int limit, bool batch, CancellationToken cancellationToken)
    {
        var initial = request.ContentLength is { } declared and > 0 ? (int)Math.Min(declared + 1, limit + 1L) : 16 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(initial, limit + 1));
        var length = 0;
        var done = false;
        try
        {
            if (request.ContentLength > limit && request.Headers.ContentEncoding.Count == 0)
            {
                // Known too large before a byte is read: no need to read it.
                return (null, Refusals.BodyTooLarge(batch));
            }

            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), cancellationToken);
                if (read == 0)
                {
                    done = true;
                    return (new RequestBody(buffer, length), null);
                }

                length += read;
                if (length > limit)
                {
                    return (null, Refusals.BodyTooLarge(batch));
                }
            }
        }
        catch (InvalidDataException)
        {
            return (null, Refusals.CorruptEncoding());
        }
        catch (InvalidOperationException ex) when (ex.TargetSite?.DeclaringType?.Namespace == typeof(System.IO.Compression.BrotliStream).Namespace)
        {
            // BrotliStream reports undecodable input this way ("Decoder ran into invalid data"), not as InvalidDataException.
            return (null, Refusals.CorruptEncoding());
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own refusals: body over MaxRequestBodySize (413), slower than MinRequestBodyDataRate (408), cut short (400).
            return (null, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? Refusals.BodyTooLarge(batch) : Refusals.BadBody(ex.StatusCode, ex.Message));
        }
        catch (OperationCanceledException) when (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Timeouts.IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true)
        {
            // The request timeout ran out mid-body: answer it here, and close the connection rather than let Kestrel drain a body still arriving.
            request.HttpContext.Response.Headers.Connection = "close";
            return (null, Refusals.BadBody(StatusCodes.Status408RequestTimeout, "The body did not arrive within the request timeout (Tracking:Limits:RequestTimeout)."));
        }
        catch (IOException ex) when (!IsClientGone(request.HttpContext))
        {
            // Malformed framing Kestrel reports as an I/O error, such as a chunk size that overflows.
            return (null, Refusals.BadBody(StatusCodes.Status400BadRequest, $"The body's framing is broken: {ex.Message}"));
        }
        finally
        {
            if (!done)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static bool IsClientGone(HttpContext http) =>
        http.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeFeature>()?.ConnectionClosed.IsCancellationRequested == true;

    public void Dispose()
    {
        if (_sent is not null)
        {
            ArrayPool<byte>.Shared.Return(_sent);
            _sent = null;
        }

        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
