namespace Tracking.Api.Enrichment;

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
