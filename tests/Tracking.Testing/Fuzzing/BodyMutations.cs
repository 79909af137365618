using System.Text;

namespace Tracking.Testing.Fuzzing;

/// <summary>
/// Request bodies no test named: seeded mutations of a few valid bodies (random bytes, invalid UTF-8, NUL, lone
/// surrogates, every JSON token in the wrong place, truncation, deep nesting, huge strings and numbers), for endpoints
/// whose only promise about bad input is a clear 4xx and no harm. The seed makes a failure replayable.
/// </summary>
public static class BodyMutations
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "false", "NaN", "-0", "1e999999", "123456789012345678901234567890",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"", "\"\\u\"", "\"\\x41\"", "\uFEFF", "\u2028", "'", "{\"userId\":{}}", "{\"userId\":[1]}",
        "{\"userId\":12345}", "\"userId\"", "\"anonymousId\"", "\"requestedBy\"",
    ];

    /// <summary><paramref name="count"/> bodies from <paramref name="seeds"/>, the same ones for the same <paramref name="seed"/>.</summary>
    public static IEnumerable<byte[]> Generate(int seed, int count, params string[] seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var body = Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]).ToList();
            var edits = 1 + random.Next(3);
            for (var e = 0; e < edits; e++)
            {
                Mutate(body, random);
            }

            yield return [.. body];
        }
    }

    private static void Mutate(List<byte> body, Random random)
    {
        var at = random.Next(body.Count + 1);
        switch (random.Next(9))
        {
            case 0:
                body.Insert(at, (byte)random.Next(256));
                break;
            case 1:
                body.InsertRange(at, random.Next(3) switch { 0 => [0xC3, 0x28], 1 => [0xFF, 0xFE], _ => [0xED, 0xA0, 0x80] });
                break;
            case 2:
                body.Insert(at, 0);
                break;
            case 3:
                body.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                break;
            case 4 when body.Count > 0:
                body.RemoveRange(at == body.Count ? at - 1 : at, 1);
                break;
            case 5:
                body.RemoveRange(at, body.Count - at);
                break;
            case 6:
                var depth = 1 + random.Next(5000);
                body.InsertRange(at, Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)));
                break;
            case 7:
                body.InsertRange(at, Encoding.UTF8.GetBytes($"\"{new string('x', random.Next(200_000))}\""));
                break;
            default:
                var bytes = new byte[1 + random.Next(64)];
                random.NextBytes(bytes);
                body.InsertRange(at, bytes);
                break;
        }
    }
}
