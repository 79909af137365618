using System.Globalization;

namespace Tracking.Consumer.Leases;

/// <summary>
/// Which stream of a name the lease rows belong to. A stream deleted and created again under the same name (common in
/// staging) is another stream: new shards that may reuse the old ids, new sequence numbers, the old checkpoints
/// meaningless in it. Its creation time tells the two apart; its ARN does not, as it is made of the name.
/// </summary>
/// <param name="CreatedAt">The stream's creation time (<c>StreamCreationTimestamp</c>), to the millisecond.</param>
/// <param name="Arn">The stream's ARN, kept for the operator to read.</param>
internal sealed record StreamIdentity(DateTimeOffset CreatedAt, string? Arn)
{
    /// <summary>Whether <paramref name="other"/> is the same stream.</summary>
    public bool IsSameStream(StreamIdentity other) => CreatedAt.ToUnixTimeMilliseconds() == other.CreatedAt.ToUnixTimeMilliseconds();

    /// <summary>The name this stream's rows are moved to once a newer stream of <paramref name="stream"/>'s name
    /// replaces it: the name and the old creation time. A Kinesis stream name (letters, digits, <c>_ . -</c>) never
    /// holds <c>@</c>, so no stream can ever read them as its own.</summary>
    public string AsideName(string stream) =>
        string.Create(CultureInfo.InvariantCulture, $"{stream}@{CreatedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}");
}
