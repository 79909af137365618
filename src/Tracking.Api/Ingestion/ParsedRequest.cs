using Tracking.Api.Enrichment;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>What a request body holds once read: its messages and, for batches, the shared fields.</summary>
internal sealed class ParsedRequest
{
    public List<IncomingMessage> Messages { get; } = [];

    /// <summary>Messages over <see cref="ProtocolLimits.MaxMessageBytes"/>, by batch index; never parsed.</summary>
    public List<int> OversizedIndexes { get; } = [];

    public string? WriteKey { get; set; }
    public ClientTime? BatchSentAt { get; set; }
    public ReadOnlyMemory<byte> BatchContext { get; set; }

    /// <summary>The batch's context, read once for all its messages; null when the batch has none.</summary>
    public SharedContext? SharedContext { get; set; }
    public ReadOnlyMemory<byte> BatchIntegrations { get; set; }

    /// <summary>The batch holds more than <see cref="ProtocolLimits.MaxBatchMessages"/> messages; those past it are not read.</summary>
    public bool TooManyMessages { get; set; }

    /// <summary>Set when the JSON is well formed but not shaped like a request (not an object, no batch array).</summary>
    public string? ShapeError { get; set; }

    public int MessageCount => Messages.Count + OversizedIndexes.Count;
}
