using System.Buffers;

namespace Tracking.Api.Ingestion;

/// <summary>
/// A request body read into a pooled buffer, never more than the limit plus one byte: a gzip
/// bomb inflates only that far before it is refused.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;

    private RequestBody(byte[] buffer, int length, bool tooLarge)
    {
        _buffer = buffer;
        Length = length;
        TooLarge = tooLarge;
    }

    public int Length { get; }

    /// <summary>True when the body is longer than the limit; its content is then incomplete.</summary>
    public bool TooLarge { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public static async Task<RequestBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        var initial = request.ContentLength is { } declared and > 0 ? (int)Math.Min(declared + 1, limit + 1L) : 16 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(initial, limit + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        return new RequestBody(buffer, length, tooLarge: true);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), cancellationToken);
                if (read == 0)
                {
                    return new RequestBody(buffer, length, tooLarge: false);
                }

                length += read;
                if (length > limit)
                {
                    return new RequestBody(buffer, length, tooLarge: true);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
