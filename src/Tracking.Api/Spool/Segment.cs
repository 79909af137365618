namespace Tracking.Api.Spool;

/// <summary>One segment file: the position of its first frame, and how many bytes of it are committed.</summary>
internal sealed class Segment(long first, string path, long length)
{
    public long First { get; } = first;

    public string Path { get; } = path;

    /// <summary>Bytes of whole, committed frames; the reader reads no further.</summary>
    public long Length = length;

    /// <summary>No frame will be added: the reader moves on at its end.</summary>
    public volatile bool Sealed;
}
