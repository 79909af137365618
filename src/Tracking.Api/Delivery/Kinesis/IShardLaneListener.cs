namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// All a <see cref="ShardLane"/> tells the one that routes records to it: that it went idle. The lane says so outside
/// its own lock and takes no lock of the listener's, so a lane never waits on its router.
/// </summary>
internal interface IShardLaneListener
{
    /// <summary>The lane has written everything it was given (or stopped) and has no put in flight.</summary>
    void LaneWentIdle();
}
