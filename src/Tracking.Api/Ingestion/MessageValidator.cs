using FluentValidation;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>The rules of the Segment spec for one message, per type. Error keys are the wire field names.</summary>
internal sealed class MessageValidator : AbstractValidator<IncomingMessage>
{
    private static readonly string TypeNames = string.Join(", ", Enum.GetValues<EventType>().Select(t => t.ToWireName()));

    public MessageValidator()
    {
        RuleFor(m => m).Custom((m, context) =>
        {
            foreach (var (field, message) in m.ShapeErrors ?? [])
            {
                context.AddFailure(field, message);
            }
        });

        RuleFor(m => m.Type)
            .NotNull()
            .When(m => m.ShapeErrors?.Exists(e => e.Key == EventFields.Type) != true)
            .OverridePropertyName(EventFields.Type)
            .WithMessage(m => m.TypeName is null
                ? $"'type' is required: one of {TypeNames}."
                : $"'type' must be one of {TypeNames}; '{m.TypeName}' is not.");

        RuleFor(m => m.UserId)
            .NotEmpty()
            .When(m => string.IsNullOrEmpty(m.AnonymousId))
            .OverridePropertyName(EventFields.UserId)
            .WithMessage("Either 'userId' or 'anonymousId' is required.");

        RuleFor(m => m.Event)
            .NotEmpty()
            .When(m => m.Type == EventType.Track)
            .OverridePropertyName(EventFields.Event)
            .WithMessage("'event' is required for track: the name of the action, e.g. \"Order Completed\".");

        RuleFor(m => m.GroupId)
            .NotEmpty()
            .When(m => m.Type == EventType.Group)
            .OverridePropertyName(EventFields.GroupId)
            .WithMessage("'groupId' is required for group.");

        RuleFor(m => m.PreviousId)
            .NotEmpty()
            .When(m => m.Type == EventType.Alias)
            .OverridePropertyName(EventFields.PreviousId)
            .WithMessage("'previousId' is required for alias: the identity being merged into 'userId'.");

        IdentifierLength(m => m.MessageId, EventFields.MessageId);
        IdentifierLength(m => m.UserId, EventFields.UserId);
        IdentifierLength(m => m.AnonymousId, EventFields.AnonymousId);
        IdentifierLength(m => m.GroupId, EventFields.GroupId);
        IdentifierLength(m => m.PreviousId, EventFields.PreviousId);
        NameLength(m => m.Event, EventFields.Event);
        NameLength(m => m.Name, EventFields.Name);
        NameLength(m => m.Category, EventFields.Category);

        RuleFor(m => m)
            .Must(m => m.ClientTimestamp?.Value is not { } happened || m.EffectiveSentAt?.Value is not { } sent || (sent - happened).Duration() <= ProtocolLimits.MaxClockSkew)
            .OverridePropertyName(EventFields.SentAt)
            .WithMessage("'timestamp' and 'sentAt' are more than 100 years apart: one of them is not a real time, so the clock skew cannot be corrected.");

        Timestamp(m => m.Timestamp, EventFields.Timestamp);
        Timestamp(m => m.SentAt, EventFields.SentAt);
        Timestamp(m => m.OriginalTimestamp, EventFields.OriginalTimestamp);
    }

    /// <summary>A batch item that is not an object has no fields to judge: one clear error instead of a list of missing ones.</summary>
    /// <remarks>Not a <c>When(...)</c> group: that caches its condition per message in a dictionary, which showed up in profiles.</remarks>
    protected override bool PreValidate(ValidationContext<IncomingMessage> context, FluentValidation.Results.ValidationResult result)
    {
        if (context.InstanceToValidate.NotAnObject)
        {
            result.Errors.Add(new FluentValidation.Results.ValidationFailure("message", "Each item of \"batch\" must be a JSON object."));
            return false;
        }

        return true;
    }

    private void IdentifierLength(System.Linq.Expressions.Expression<Func<IncomingMessage, string?>> field, string name) =>
        RuleFor(field)
            .MaximumLength(ProtocolLimits.MaxIdentifierLength)
            .OverridePropertyName(name)
            .WithMessage($"'{name}' is longer than {ProtocolLimits.MaxIdentifierLength} characters.");

    private void NameLength(System.Linq.Expressions.Expression<Func<IncomingMessage, string?>> field, string name) =>
        RuleFor(field)
            .MaximumLength(ProtocolLimits.MaxNameLength)
            .OverridePropertyName(name)
            .WithMessage($"'{name}' is longer than {ProtocolLimits.MaxNameLength} characters.");

    private void Timestamp(System.Linq.Expressions.Expression<Func<IncomingMessage, ClientTime?>> field, string name) =>
        RuleFor(field)
            .Must(time => time is null or { Value: not null })
            .OverridePropertyName(name)
            .WithMessage($"'{name}' must be an ISO 8601 date-time, e.g. \"2026-11-21T10:15:30.000Z\".");
}
