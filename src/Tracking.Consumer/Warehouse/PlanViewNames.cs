using System.Security.Cryptography;
using System.Text;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// Names for what the plans name freely (event and property names: any Unicode, quotes, spaces, reserved words):
/// snake_case of ASCII letters and digits, as Segment names its per-event tables and columns, so every name is a
/// valid identifier in both dialects and never needs more than plain double quotes. A name too long for the dialect,
/// empty once slugged, or taken (by a fixed name or by another entry) gets <c>_</c> and 8 hex digits of the SHA-256 of
/// what it stands for: the same plan always gives the same names, whatever order it lists them in.
/// </summary>
internal static class PlanViewNames
{
    /// <summary>The hex digits of the disambiguating suffix.</summary>
    private const int SuffixDigits = 8;

    /// <summary>PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes.</summary>
    public const int PostgresLimit = 63;

    /// <summary>Redshift's identifier limit, in bytes.</summary>
    public const int RedshiftLimit = 127;

    /// <summary><paramref name="name"/> in snake_case: lower-case ASCII letters and digits, a <c>_</c> where camelCase turns and for each run of anything else, none at the ends.</summary>
    public static string Slug(string name)
    {
        var slug = new StringBuilder(name.Length);
        var previous = '\0';
        foreach (var c in name)
        {
            var lower = char.ToLowerInvariant(c);
            if (lower is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                // camelCase splits as Segment's snake_case does: orderId → order_id.
                if (char.IsAsciiLetterUpper(c) && (char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous)))
                {
                    slug.Append('_');
                }

                slug.Append(lower);
            }
            else if (slug.Length > 0 && slug[^1] != '_')
            {
                slug.Append('_');
            }

            previous = c;
        }

        return slug.ToString().TrimEnd('_');
    }

    /// <summary>
    /// A unique name per entry: its slug (its fallback when empty, <c>_</c> in front of a leading digit),
    /// suffixed as the class says when it is too long, empty, in <paramref name="taken"/>, or shared with another entry
    /// that is not written exactly that way.
    /// </summary>
    /// <param name="entries">Each entry: its slug, the name it has when the slug is empty, and the identity it stands for (hashed for its suffix).</param>
    /// <param name="taken">Names no entry may have.</param>
    /// <param name="limit">The longest name, in bytes (the names are ASCII).</param>
    public static string[] Assign(IReadOnlyList<(string Slug, string Fallback, string Identity)> entries, IReadOnlySet<string> taken, int limit)
    {
        var names = new string[entries.Count];
        var forced = new bool[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var slug = entries[i].Slug;
            forced[i] = slug.Length == 0;
            slug = slug.Length == 0 ? entries[i].Fallback : slug;
            slug = char.IsAsciiDigit(slug[0]) ? "_" + slug : slug;
            names[i] = slug.Length > limit || forced[i] ? Suffixed(slug, entries[i].Identity, limit) : slug;
        }

        var counts = names.CountBy(n => n, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var exact = string.Equals(entries[i].Identity, names[i], StringComparison.Ordinal);
            if (taken.Contains(names[i]) || (counts[names[i]] > 1 && !exact))
            {
                names[i] = Suffixed(names[i], entries[i].Identity, limit);
            }
        }

        // A suffixed name may still meet another (two exact spellings of one slug, or a plain name that looks suffixed):
        // then each later entry, in the order of what it stands for, gets a counted suffix until none meet.
        var order = Enumerable.Range(0, names.Length).OrderBy(i => entries[i].Identity, StringComparer.Ordinal).ToArray();
        var used = new HashSet<string>(taken, StringComparer.Ordinal);
        foreach (var i in order)
        {
            for (var attempt = 1; !used.Add(names[i]); attempt++)
            {
                names[i] = Suffixed(names[i], $"{entries[i].Identity}#{attempt}", limit);
            }
        }

        return names;
    }

    private static string Suffixed(string name, string identity, int limit)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..SuffixDigits];
        var keep = Math.Min(name.Length, limit - SuffixDigits - 1);
        return $"{name[..keep].TrimEnd('_')}_{hash}";
    }
}
