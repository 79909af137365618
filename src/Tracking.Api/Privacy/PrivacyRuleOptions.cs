namespace Tracking.Api.Privacy;

/// <summary>One privacy rule: a path in the event and what to do to the value there.</summary>
internal sealed class PrivacyRuleOptions
{
    /// <summary>
    /// Dot-separated member names from the top of the event, such as <c>properties.email</c>, <c>traits.phone</c>,
    /// <c>context.ip</c>; <c>*</c> stands for any one member name (<c>context.traits.*</c>). Arrays on the way are
    /// looked through: <c>properties.products.sku</c> reaches the <c>sku</c> of every product. Names are matched
    /// exactly (case-sensitive). No default: a rule needs a path.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Drop, Hash or Mask. No default: a rule needs an action.</summary>
    public PrivacyAction? Action { get; set; }

    /// <summary>For <see cref="PrivacyAction.Mask"/>: how many of the last characters stay readable. Default 0 (all masked); a value no longer than twice this is masked whole.</summary>
    public int Keep { get; set; }
}
