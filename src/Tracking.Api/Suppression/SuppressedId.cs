using System.Text.Json.Serialization;

namespace Tracking.Api.Suppression;

/// <summary>Which of a message's ids a suppression names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IdKind>))]
internal enum IdKind
{
    /// <summary>The message's <c>userId</c>.</summary>
    [JsonStringEnumMemberName("userId")]
    UserId,

    /// <summary>The message's <c>anonymousId</c>.</summary>
    [JsonStringEnumMemberName("anonymousId")]
    AnonymousId,
}

/// <summary>One suppressed id: events whose userId (or anonymousId) it is are answered 200 and not stored.</summary>
/// <param name="Kind"><c>userId</c> or <c>anonymousId</c>.</param>
/// <param name="Id">The id, matched exactly (case-sensitive).</param>
/// <param name="Since">When it was added.</param>
internal sealed record SuppressedId(IdKind Kind, string Id, DateTimeOffset Since);

/// <summary>What <c>GET /admin/suppressions</c> answers.</summary>
/// <param name="Count">How many ids are suppressed.</param>
/// <param name="Suppressed">Each of them, user ids first, each kind in order of id.</param>
internal sealed record SuppressionListView(int Count, IReadOnlyList<SuppressedId> Suppressed);

/// <summary>The body of <c>POST /admin/suppressions</c>: exactly one of the two ids.</summary>
/// <param name="UserId">A userId to suppress.</param>
/// <param name="AnonymousId">An anonymousId to suppress.</param>
internal sealed record SuppressionRequest(string? UserId, string? AnonymousId);

/// <summary>The list as stored in its file.</summary>
internal sealed record SuppressionFile(List<SuppressionFile.Entry> UserIds, List<SuppressionFile.Entry> AnonymousIds)
{
    /// <summary>One stored id and when it was added.</summary>
    internal sealed record Entry(string Id, DateTimeOffset Since);
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(SuppressionFile))]
[JsonSerializable(typeof(SuppressionListView))]
[JsonSerializable(typeof(SuppressionRequest))]
[JsonSerializable(typeof(SuppressedId))]
internal sealed partial class SuppressionJsonContext : JsonSerializerContext;
