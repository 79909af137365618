using System.Text.Json;

namespace Tracking.Api.Enrichment;

/// <summary>
/// What one message's context (its own, then the batch's for the names it leaves out) holds of what the enrichments
/// read or fill: which members are present, and the JSON of those they read. One pass over the top-level members.
/// </summary>
internal struct ContextFacts
{
    public ContextMember Present;
    public ReadOnlyMemory<byte> UserAgent;
    public ReadOnlyMemory<byte> Ip;
    public ReadOnlyMemory<byte> Page;
    public ReadOnlyMemory<byte> UserAgentData;

    public readonly bool Has(ContextMember member) => (Present & member) != 0;

    /// <summary>Reads the message's own <c>context</c> object (empty: none).</summary>
    public void Scan(ReadOnlyMemory<byte> context)
    {
        if (context.IsEmpty)
        {
            return;
        }

        var reader = new Utf8JsonReader(context.Span);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = reader.ValueIsEscaped ? Of(reader.GetString()!) : Of(reader.ValueSpan);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            Set(member, context[start..(int)reader.BytesConsumed]);
        }
    }

    /// <summary>Takes from the batch's context what the message's own does not name.</summary>
    public void Fill(SharedContext shared)
    {
        foreach (var member in shared.Members)
        {
            var name = Of(member.Name);
            if (name != ContextMember.None && !Has(name))
            {
                Set(name, member.Value);
            }
        }
    }

    private void Set(ContextMember member, ReadOnlyMemory<byte> value)
    {
        Present |= member;
        switch (member)
        {
            case ContextMember.UserAgent:
                UserAgent = value;
                break;
            case ContextMember.Ip:
                Ip = value;
                break;
            case ContextMember.Page:
                Page = value;
                break;
            case ContextMember.UserAgentData:
                UserAgentData = value;
                break;
        }
    }

    private static ContextMember Of(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("ip"u8) => ContextMember.Ip,
        2 when name.SequenceEqual("os"u8) => ContextMember.Os,
        3 when name.SequenceEqual("bot"u8) => ContextMember.Bot,
        4 when name.SequenceEqual("page"u8) => ContextMember.Page,
        6 when name.SequenceEqual("device"u8) => ContextMember.Device,
        7 when name.SequenceEqual("browser"u8) => ContextMember.Browser,
        8 when name.SequenceEqual("campaign"u8) => ContextMember.Campaign,
        8 when name.SequenceEqual("referrer"u8) => ContextMember.Referrer,
        8 when name.SequenceEqual("location"u8) => ContextMember.Location,
        9 when name.SequenceEqual("userAgent"u8) => ContextMember.UserAgent,
        13 when name.SequenceEqual("userAgentData"u8) => ContextMember.UserAgentData,
        _ => ContextMember.None,
    };

    private static ContextMember Of(string name) => name switch
    {
        "ip" => ContextMember.Ip,
        "os" => ContextMember.Os,
        "bot" => ContextMember.Bot,
        "page" => ContextMember.Page,
        "device" => ContextMember.Device,
        "browser" => ContextMember.Browser,
        "campaign" => ContextMember.Campaign,
        "referrer" => ContextMember.Referrer,
        "location" => ContextMember.Location,
        "userAgent" => ContextMember.UserAgent,
        "userAgentData" => ContextMember.UserAgentData,
        _ => ContextMember.None,
    };
}
