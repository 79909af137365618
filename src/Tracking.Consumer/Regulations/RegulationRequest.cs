using System.Text.Json.Serialization;

namespace Tracking.Consumer.Regulations;

/// <summary>
/// A deletion to run: every event and dead letter of one <see cref="UserId"/> or <see cref="AnonymousId"/> (exactly
/// one of the two), asked for by <see cref="RequestedBy"/> (a person or ticket, recorded in <c>regulations</c>: the
/// admin key says nothing of who used it).
/// </summary>
internal sealed record RegulationRequest(
    [property: JsonPropertyName("userId")] string? UserId = null,
    [property: JsonPropertyName("anonymousId")] string? AnonymousId = null,
    [property: JsonPropertyName("requestedBy")] string? RequestedBy = null)
{
    /// <summary>The longest id, as the API accepts in a message.</summary>
    public const int MaxIdLength = 256;

    /// <summary>The longest <see cref="RequestedBy"/>.</summary>
    public const int MaxRequestedByLength = 256;

    /// <summary>Which id the deletion is for, once <see cref="Problems"/> is empty.</summary>
    public (string Kind, string Id) Subject => UserId is not null ? (RegulationKinds.UserId, UserId) : (RegulationKinds.AnonymousId, AnonymousId!);

    /// <summary>What is wrong with the request, each problem keyed by its field; empty when it can run.</summary>
    public Dictionary<string, string[]> Problems()
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if ((UserId is null) == (AnonymousId is null))
        {
            problems["userId"] = ["Give exactly one of userId and anonymousId."];
        }
        else if (Subject.Id.Length is 0 or > MaxIdLength || Subject.Id.Contains('\0', StringComparison.Ordinal))
        {
            problems[Subject.Kind] = [$"{Subject.Kind} has 1 to {MaxIdLength} characters and no NUL, as in a message."];
        }

        if (string.IsNullOrWhiteSpace(RequestedBy) || RequestedBy.Length > MaxRequestedByLength || RequestedBy.Contains('\0', StringComparison.Ordinal))
        {
            problems["requestedBy"] = [$"requestedBy names who asked (a person, a ticket): 1 to {MaxRequestedByLength} characters, recorded in the regulations table."];
        }

        return problems;
    }
}
