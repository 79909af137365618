namespace Tracking.Consumer.Warehouse;

/// <summary>One per-event view the plans call for.</summary>
/// <param name="Name">The view's name: lower-case ASCII letters, digits and underscores, within the dialect's identifier limit.</param>
/// <param name="Source">The source whose plan lists the event.</param>
/// <param name="Event">The track event's name, as the plan spells it.</param>
/// <param name="Statement">The <c>CREATE VIEW</c> statement.</param>
/// <param name="Hash">The statement's SHA-256, hex: a changed plan changes it, and the view is made again.</param>
internal sealed record PlanView(string Name, string Source, string Event, string Statement, string Hash);
