using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Api.Delivery;

namespace Tracking.Api.Ingestion;

/// <summary>What screening a request's messages gave: the events to enqueue and the messages refused, or a refusal of the whole request.</summary>
internal sealed class ScreenedRequest
{
    public List<EnrichedEvent> Accepted { get; } = [];

    /// <summary>Accepted events a tracking plan in Block mode keeps out of the main stream (see <see cref="TrackingPlans.Quarantine"/>).</summary>
    public List<EnrichedEvent> Quarantined { get; } = [];

    public long AcceptedBytes { get; set; }

    /// <summary>Valid messages of a suppressed user: answered as accepted, stored nowhere.</summary>
    public int Suppressed { get; set; }

    /// <summary>Messages accepted and answered as such, but not stored (a bot its source refuses).</summary>
    public int Dropped { get; set; }

    public List<Rejection> Rejected { get; } = [];

    /// <summary>Events the plan draft's observer sampled (<see cref="TrackingPlans.PlanObserver.TrySample"/>), as
    /// stored and before a plan added its violations: recorded only once the request is answered 200.</summary>
    public List<(IncomingMessage Message, byte[] Json)>? Sampled { get; set; }

    /// <summary>The paths the source's privacy rules hash or mask, for the observer.</summary>
    public IReadOnlyList<string[]>? Rewriting { get; set; }

    /// <summary>Set when the whole request is refused (its enriched events add up past the request's limit).</summary>
    public ProblemHttpResult? Refusal { get; set; }
}
