using System.Text.Json;

namespace Tracking.Api.Enrichment;

/// <summary>What the campaign and referrer enrichments read of <c>context.page</c>: its <c>url</c>, <c>search</c> and <c>referrer</c>.</summary>
internal readonly record struct PageFacts(string? Url, string? Search, string? Referrer)
{
    /// <summary>Reads a <c>context.page</c> value; a page that is not an object, or members that are not strings, give nulls.</summary>
    public static PageFacts Read(ReadOnlySpan<byte> page)
    {
        if (page.IsEmpty)
        {
            return default;
        }

        string? url = null, search = null, referrer = null;
        var reader = new Utf8JsonReader(page);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUrl = reader.ValueTextEquals("url"u8);
            var isSearch = reader.ValueTextEquals("search"u8);
            var isReferrer = reader.ValueTextEquals("referrer"u8);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                continue;
            }

            if (isUrl)
            {
                url = reader.GetString();
            }
            else if (isSearch)
            {
                search = reader.GetString();
            }
            else if (isReferrer)
            {
                referrer = reader.GetString();
            }
        }

        return new PageFacts(url, search, referrer);
    }
}
