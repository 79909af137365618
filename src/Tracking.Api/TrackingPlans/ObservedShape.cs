namespace Tracking.Api.TrackingPlans;

/// <summary>
/// What was seen at one path of a name's properties (or traits): how often it held a value, of which JSON types,
/// and, for objects and arrays, the paths under it. Names and types only: no value is ever kept.
/// </summary>
internal sealed class ObservedShape
{
    /// <summary>
    /// What is counted, by index: the JSON types in the order a drafted schema lists them, then <c>rewritten</c>, a
    /// string a privacy rule (Hash or Mask) made of whatever string, number or boolean was sent.
    /// </summary>
    public static readonly string[] TypeNames = ["string", "number", "integer", "boolean", "object", "array", "null", "rewritten"];

    public const int String = 0;
    public const int Number = 1;
    public const int Integer = 2;
    public const int Boolean = 3;
    public const int Object = 4;
    public const int Array = 5;
    public const int Null = 6;
    public const int Rewritten = 7;

    /// <summary>How many times the path held a value (for an object member, in how many of the objects seen it was present).</summary>
    public long Count { get; set; }

    /// <summary>How many of those values were of each type, indexed as <see cref="TypeNames"/>.</summary>
    public long[] Types { get; } = new long[TypeNames.Length];

    /// <summary>The members seen when the value was an object, by name.</summary>
    public Dictionary<string, ObservedShape>? Members { get; set; }

    /// <summary>The items seen when the value was an array, all in one shape.</summary>
    public ObservedShape? Items { get; set; }
}
