namespace Tracking.Plans;

/// <summary>What is wrong with a plan's content, before the file's name is put in front (<see cref="TrackingPlanException"/>).</summary>
public sealed class PlanFormatException(string message) : Exception(message);
