using System.Text.Json.Serialization;

namespace Tracking.Api.Debugger;

/// <summary>
/// A refused request or batch item as the debugger shows it: what was refused, with which status and why.
/// Only the fields that identify a message are kept, never its write key or its content.
/// </summary>
/// <param name="Refused">Always true: tells it apart from an accepted event.</param>
/// <param name="Status">The request's answer: the refusal's status, or 200 for an item refused inside an accepted batch.</param>
/// <param name="Title">The refusal's title (the problem document's).</param>
/// <param name="Detail">Why, as the answer words it.</param>
/// <param name="Errors">Each failing field with its reasons, for a message that breaks the spec.</param>
/// <param name="Path">The endpoint that was called.</param>
/// <param name="ReceivedAt">When the API answered.</param>
/// <param name="Source">The write key's source, once the key was known.</param>
/// <param name="Index">The item's position in <c>batch</c>, for a batch item.</param>
/// <param name="Messages">How many messages the request held, for a whole batch refused.</param>
/// <param name="Type">The message's type, as sent.</param>
/// <param name="Event">Its event or name.</param>
/// <param name="MessageId">Its messageId, as sent.</param>
/// <param name="UserId">Its userId.</param>
/// <param name="AnonymousId">Its anonymousId.</param>
internal sealed record RefusedMessage(
    bool Refused,
    int Status,
    string? Title,
    string? Detail,
    IDictionary<string, string[]>? Errors,
    string Path,
    DateTimeOffset ReceivedAt,
    string? Source,
    int? Index,
    int? Messages,
    string? Type,
    string? Event,
    string? MessageId,
    string? UserId,
    string? AnonymousId);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RefusedMessage))]
internal sealed partial class DebuggerJsonContext : JsonSerializerContext;
