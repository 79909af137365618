namespace Tracking.Plans;

/// <summary>A plan file that cannot be used; the message names the file and what is wrong with it, on one line.</summary>
public sealed class TrackingPlanException(string message, Exception? inner = null) : Exception(message, inner);
