using System.Text;

namespace Tracking.Consumer.Warehouse;

/// <summary>A record the warehouse cannot hold, kept byte for byte with the reason. The reason is made storable
/// on construction (it may quote a database's or parser's message): no NUL or other control character, no unpaired
/// surrogate, at most <see cref="MaxReasonLength"/> characters.</summary>
internal sealed record DeadLetter(string SequenceNumber, string Reason, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The longest reason kept: well inside Redshift's <c>VARCHAR(4096)</c> even in 3-byte characters.</summary>
    internal const int MaxReasonLength = 1000;

    public string Reason { get; } = Storable(Reason);

    private static string Storable(string reason)
    {
        var text = new StringBuilder(Math.Min(reason.Length, MaxReasonLength));
        for (var i = 0; i < reason.Length && text.Length < MaxReasonLength; i++)
        {
            var c = reason[i];
            if (char.IsHighSurrogate(c) && i + 1 < reason.Length && char.IsLowSurrogate(reason[i + 1]))
            {
                if (text.Length + 2 > MaxReasonLength)
                {
                    break;
                }

                text.Append(c).Append(reason[++i]);
            }
            else
            {
                text.Append(char.IsSurrogate(c) || char.IsControl(c) ? '\uFFFD' : c);
            }
        }

        return text.ToString();
    }
}
