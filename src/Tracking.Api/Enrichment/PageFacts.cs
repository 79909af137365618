using System.Text.Json;

namespace Tracking.Api.Enrichment;

/// <summary>
/// What the campaign and referrer enrichments read of <c>context.page</c>: its <c>url</c>, <c>search</c> and
/// <c>referrer</c>, unescaped into a buffer the caller reuses, so reading a page allocates nothing.
/// </summary>
internal readonly record struct PageFacts(ReadOnlyMemory<char> Url, ReadOnlyMemory<char> Search, ReadOnlyMemory<char> Referrer)
{
    /// <summary>Reads a <c>context.page</c> value; a page that is not an object, or members that are not strings, give empty values. <paramref name="buffer"/> grows as needed.</summary>
    public static PageFacts Read(ReadOnlySpan<byte> page, ref char[] buffer)
    {
        if (page.IsEmpty)
        {
            return default;
        }

        // Unescaped text is never longer than the JSON it came from.
        if (buffer.Length < page.Length)
        {
            buffer = new char[Math.Max(page.Length, buffer.Length * 2)];
        }

        ReadOnlyMemory<char> url = default, search = default, referrer = default;
        var used = 0;
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

            if (isUrl || isSearch || isReferrer)
            {
                var length = reader.CopyString(buffer.AsSpan(used));
                var text = buffer.AsMemory(used, length);
                used += length;
                if (isUrl)
                {
                    url = text;
                }
                else if (isSearch)
                {
                    search = text;
                }
                else
                {
                    referrer = text;
                }
            }
        }

        return new PageFacts(url, search, referrer);
    }
}
