using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>Why a message of a request was refused.</summary>
internal enum RejectionKind
{
    /// <summary>It breaks a rule of the spec; the errors name the fields.</summary>
    Invalid,

    /// <summary>Its JSON as sent is over <see cref="ProtocolLimits.MaxMessageBytes"/>.</summary>
    TooLargeAsSent,

    /// <summary>Its event, with the batch's context and the server's fields merged in, is over <see cref="ProtocolLimits.MaxEnrichedEventBytes"/>.</summary>
    TooLargeEnriched,
}
