using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace Tracking.Replay.Archives;

/// <summary>The File sink's folder: complete files under <c>yyyy/MM/dd/HH/</c>; the in-progress folder is never read.</summary>
internal sealed class FolderArchive(string root) : IArchive
{
    public async IAsyncEnumerable<string> FilesAsync(DateTimeOffset hour, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folder = Path.Combine(root, ArchiveHours.Folder(hour).Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(folder).Where(f => !f.EndsWith(".partial", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return file;
        }

        await Task.CompletedTask;
    }

    public Task<Stream> OpenAsync(string file, CancellationToken cancellationToken) =>
        Task.FromResult(Gzip.Unwrap(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16)));
}

/// <summary>Files may be gzip (Firehose's GZIP compression): recognised by their first two bytes, not their name.</summary>
internal static class Gzip
{
    /// <summary>The decompressed content of a seekable <paramref name="stream"/>, or the stream itself when it is not gzip.</summary>
    public static Stream Unwrap(Stream stream)
    {
        Span<byte> magic = stackalloc byte[2];
        var read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }
}
