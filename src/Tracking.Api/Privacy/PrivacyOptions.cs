namespace Tracking.Api.Privacy;

/// <summary>
/// Privacy rules applied to every accepted event before it is stored anywhere (spool, sink, debugger, logs).
/// Bound to <c>Tracking:Privacy</c>.
/// </summary>
internal sealed class PrivacyOptions
{
    public const string Section = "Tracking:Privacy";

    /// <summary>The source name whose rules apply to events of every source (in addition to the source's own, which come after).</summary>
    public const string EverySource = "*";

    /// <summary>
    /// The rules per source name (the names <c>Tracking:WriteKeys</c> maps keys to), applied in the order listed:
    /// <c>Tracking:Privacy:Sources:&lt;source&gt;:0:Path = properties.email</c>, <c>…:0:Action = Hash</c>. The source
    /// <c>*</c> applies to every source. Default: none, so events are stored as enriched.
    /// </summary>
    public Dictionary<string, List<PrivacyRuleOptions>> Sources { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The secret key of <see cref="PrivacyAction.Hash"/> rules: at least 32 characters, required when any rule hashes.
    /// Keep it stable: a new key gives every value a new token, and old and new tokens no longer join.
    /// Default none.
    /// </summary>
    public string? HashKey { get; set; }
}
