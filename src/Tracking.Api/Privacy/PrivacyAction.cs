namespace Tracking.Api.Privacy;

/// <summary>What a privacy rule does to the value at its path.</summary>
internal enum PrivacyAction
{
    /// <summary>The member is removed from the event.</summary>
    Drop,

    /// <summary>
    /// Every string, number and boolean at or under the path becomes the lowercase hex HMAC-SHA-256 of its text,
    /// keyed with <c>Tracking:Privacy:HashKey</c>: the same value always gives the same token, so joins still work.
    /// </summary>
    Hash,

    /// <summary>Every string, number and boolean at or under the path becomes a string of <c>*</c>, keeping only its last <see cref="PrivacyRuleOptions.Keep"/> characters.</summary>
    Mask,
}
