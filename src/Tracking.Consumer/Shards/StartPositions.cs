namespace Tracking.Consumer.Shards;

/// <summary>The <c>start_position</c> values of the lease table.</summary>
internal static class StartPositions
{
    public const string TrimHorizon = "TRIM_HORIZON";
    public const string Latest = "LATEST";
    public const string AtTimestamp = "AT_TIMESTAMP";

    public static string From(InitialPosition position) => position switch
    {
        InitialPosition.Latest => Latest,
        InitialPosition.AtTimestamp => AtTimestamp,
        _ => TrimHorizon,
    };
}
