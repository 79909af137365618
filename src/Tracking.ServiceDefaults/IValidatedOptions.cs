namespace Tracking.ServiceDefaults;

/// <summary>
/// The one validation shape of both hosts' options: the options list their own broken rules, each message naming
/// its setting and the limit (e.g. <c>Consumer:Leases:Duration must be between 1 s and 10 minutes</c>).
/// <see cref="ValidatedOptions"/>'s <c>AddValidatedOptions</c> checks them when the host starts.
/// </summary>
public interface IValidatedOptions
{
    /// <summary>Every broken rule, each naming its setting; empty when the options are valid.</summary>
    IEnumerable<string> Validate();
}
