using System.Text.Json.Serialization;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// Which dead letters a re-drive reads again: all of them, or those whose reason starts with <see cref="Reason"/>,
/// that failed in [<see cref="From"/>, <see cref="To"/>), of one <see cref="Stream"/>. With <see cref="DryRun"/>
/// nothing is written: the answer says what would load.
/// </summary>
internal sealed record RedriveRequest(
    [property: JsonPropertyName("reason")] string? Reason = null,
    [property: JsonPropertyName("from")] DateTimeOffset? From = null,
    [property: JsonPropertyName("to")] DateTimeOffset? To = null,
    [property: JsonPropertyName("stream")] string? Stream = null,
    [property: JsonPropertyName("dryRun")] bool DryRun = false)
{
    /// <summary>The longest <see cref="Reason"/> prefix: a reason is at most 1,000 characters.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>What is wrong with the request, each problem keyed by its field; empty when it can run.</summary>
    public Dictionary<string, string[]> Problems()
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (Reason is { Length: 0 or > MaxReasonLength })
        {
            problems["reason"] = [$"reason, when given, is a prefix of 1 to {MaxReasonLength} characters."];
        }

        if (Reason is not null && Reason.Contains('\0', StringComparison.Ordinal))
        {
            problems["reason"] = ["reason must not contain NUL."];
        }

        if (From is { } from && To is { } to && from >= to)
        {
            problems["to"] = ["to must be later than from."];
        }

        if (Stream is { Length: 0 })
        {
            problems["stream"] = ["stream, when given, is a stream name."];
        }

        return problems;
    }
}
