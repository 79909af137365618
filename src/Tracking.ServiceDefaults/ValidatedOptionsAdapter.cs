using Microsoft.Extensions.Options;

namespace Tracking.ServiceDefaults;

/// <summary>Runs <see cref="IValidatedOptions.Validate"/> for the options system, reporting every broken rule together.</summary>
internal sealed class ValidatedOptionsAdapter<TOptions> : IValidateOptions<TOptions>
    where TOptions : class, IValidatedOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
