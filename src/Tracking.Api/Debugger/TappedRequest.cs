using Tracking.Api.Ingestion;

namespace Tracking.Api.Debugger;

/// <summary>
/// What the handler knew of a request the debugger may show as refused: its parsed messages and the
/// items screening refused. Set on the request only while a debugger is connected.
/// </summary>
internal sealed class TappedRequest(ParsedRequest parsed, bool batch)
{
    public ParsedRequest Parsed { get; } = parsed;

    public bool Batch { get; } = batch;

    public IReadOnlyList<Rejection> Rejected { get; set; } = [];
}
