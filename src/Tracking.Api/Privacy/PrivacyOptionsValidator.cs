using Microsoft.Extensions.Options;

namespace Tracking.Api.Privacy;

/// <summary>Checks every rule's path and action, and that hashing has its key, naming the setting of each problem.</summary>
internal sealed class PrivacyOptionsValidator : IValidateOptions<PrivacyOptions>
{
    /// <summary>The shortest hash key accepted: 32 characters, 256 bits of ASCII, the HMAC-SHA-256 block's worth of guessing.</summary>
    public const int MinHashKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, PrivacyOptions options)
    {
        var errors = new List<string>();
        var hashes = false;
        foreach (var (source, rules) in options.Sources)
        {
            for (var i = 0; i < rules.Count; i++)
            {
                var rule = rules[i];
                var setting = $"{PrivacyOptions.Section}:Sources:{source}:{i}";
                if (PrivacyPath.Parse(rule.Path).Problem is { } problem)
                {
                    errors.Add($"{setting}:Path {problem}.");
                }

                if (rule.Action is not { } action || !Enum.IsDefined(action))
                {
                    errors.Add($"{setting}:Action must be Drop, Hash or Mask.");
                }

                hashes |= rule.Action == PrivacyAction.Hash;
                if (rule.Keep < 0 || rule.Keep > 64)
                {
                    errors.Add($"{setting}:Keep must be between 0 and 64; it is {rule.Keep}.");
                }
            }
        }

        if (hashes && string.IsNullOrEmpty(options.HashKey))
        {
            errors.Add($"{PrivacyOptions.Section}:HashKey is not set, and a rule hashes: set it to a secret of at least {MinHashKeyLength} characters (the same on every instance, so tokens join).");
        }
        else if (!string.IsNullOrEmpty(options.HashKey) && options.HashKey.Length < MinHashKeyLength)
        {
            errors.Add($"{PrivacyOptions.Section}:HashKey must be at least {MinHashKeyLength} characters; it has {options.HashKey.Length}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
