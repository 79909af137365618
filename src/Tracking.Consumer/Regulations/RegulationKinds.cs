namespace Tracking.Consumer.Regulations;

/// <summary>The values of <c>regulations.id_kind</c> and <c>regulations.outcome</c>.</summary>
internal static class RegulationKinds
{
    public const string UserId = "userId";
    public const string AnonymousId = "anonymousId";
    public const string Delete = "delete";
    public const string Completed = "completed";
    public const string Failed = "failed";
}
