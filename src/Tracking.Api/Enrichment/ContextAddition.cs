namespace Tracking.Api.Enrichment;

/// <summary>A member an enrichment adds to an event's <c>context</c>: its name (plain and as a JSON string) and its value's JSON.</summary>
internal readonly record struct ContextAddition(ReadOnlyMemory<byte> Name, ReadOnlyMemory<byte> QuotedName, ReadOnlyMemory<byte> Value)
{
    public static ContextAddition Of(ContextName name, ReadOnlyMemory<byte> value) => new(name.Utf8, name.Quoted, value);
}
