namespace Tracking.Api.Enrichment;

/// <summary>The <c>context</c> members the enrichments read or fill, as flags of which a message's context already holds.</summary>
[Flags]
internal enum ContextMember
{
    None = 0,
    UserAgent = 1 << 0,
    Ip = 1 << 1,
    Page = 1 << 2,
    UserAgentData = 1 << 3,
    Device = 1 << 4,
    Os = 1 << 5,
    Browser = 1 << 6,
    Bot = 1 << 7,
    Campaign = 1 << 8,
    Referrer = 1 << 9,
    Location = 1 << 10,
}
