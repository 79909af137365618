namespace Tracking.Api.Enrichment;

/// <summary>A member an enrichment adds to an event's <c>context</c>: its name (plain and as a JSON string) and its value's JSON.</summary>
internal readonly record struct ContextAddition(ReadOnlyMemory<byte> Name, ReadOnlyMemory<byte> QuotedName, ReadOnlyMemory<byte> Value)
{
    public static ContextAddition Of(ContextName name, ReadOnlyMemory<byte> value) => new(name.Utf8, name.Quoted, value);
}

/// <summary>A context member's name, encoded once.</summary>
internal sealed class ContextName(string name)
{
    public static readonly ContextName Device = new("device");
    public static readonly ContextName Os = new("os");
    public static readonly ContextName Browser = new("browser");
    public static readonly ContextName Bot = new("bot");
    public static readonly ContextName Campaign = new("campaign");
    public static readonly ContextName Referrer = new("referrer");
    public static readonly ContextName Location = new("location");

    public ReadOnlyMemory<byte> Utf8 { get; } = System.Text.Encoding.UTF8.GetBytes(name);

    public ReadOnlyMemory<byte> Quoted { get; } = System.Text.Encoding.UTF8.GetBytes($"\"{name}\"");
}
