using Microsoft.Extensions.Options;

using Tracking.ServiceDefaults;

namespace Tracking.Api.Admin;

/// <summary>
/// The key that opens the operations endpoints (<c>/metrics</c>, <c>/status</c>, <c>/status.json</c>,
/// <c>/debugger</c>), bound from <c>Tracking:AdminKey</c>.
/// </summary>
internal sealed class AdminOptions
{
    public const string Section = "Tracking";

    /// <summary>
    /// The admin key: scripts send it as <c>Authorization: Bearer &lt;key&gt;</c>, people type it into the
    /// login form once per browser session. Default none: then none of the operations endpoints is
    /// served (they answer 404). At least 16 characters.
    /// </summary>
    public string? AdminKey { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(AdminKey);
}

internal sealed class AdminOptionsValidator(IConfiguration configuration) : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        if (AdminKeyCheck.Problem("Tracking:AdminKey", string.IsNullOrEmpty(options.AdminKey) ? null : options.AdminKey) is { } problem)
        {
            return ValidateOptionsResult.Fail(problem);
        }

        // A web source's write key is public (it sits in every page): as the admin key it would open the operations pages to anyone.
        return options.Enabled && configuration.GetSection("Tracking:WriteKeys").GetChildren().Any(c => string.Equals(c.Key, options.AdminKey, StringComparison.Ordinal))
            ? ValidateOptionsResult.Fail("Tracking:AdminKey must not be one of the write keys (Tracking:WriteKeys): write keys are public, the admin key must be secret.")
            : ValidateOptionsResult.Success;
    }
}
