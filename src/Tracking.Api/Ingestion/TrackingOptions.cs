using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;

namespace Tracking.Api.Ingestion;

/// <summary>The top of the <c>Tracking</c> section: which sink, and which write keys are accepted.</summary>
internal sealed class TrackingOptions
{
    public const string Section = "Tracking";

    /// <summary>Where accepted events go. Default <see cref="SinkKind.File"/>.</summary>
    public SinkKind Sink { get; set; } = SinkKind.File;

    /// <summary>
    /// Accepted write keys, each mapped to the name of its source (<c>Tracking:WriteKeys:&lt;key&gt; = &lt;source name&gt;</c>).
    /// When empty, the Development environment accepts any key (source name <c>development</c>) and
    /// any other environment refuses to start.
    /// </summary>
    public Dictionary<string, string> WriteKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The address SDKs reach this API at (<c>https://api.example.com</c>), handed back to them in the settings
    /// documents of <c>/v1/projects/{writeKey}/settings</c>. Default: none, so each request's own scheme and host are
    /// used (behind a proxy listed in <c>Tracking:ClientIp:TrustedProxies</c>, its <c>X-Forwarded-Proto</c> and
    /// <c>X-Forwarded-Host</c>). Set it when a CDN or a proxy that is not trusted sits in front.
    /// </summary>
    public string? PublicUrl { get; set; }
}

/// <summary>Refuses to start outside Development without write keys, and rejects keys without a source name.</summary>
internal sealed class TrackingOptionsValidator(IHostEnvironment environment) : IValidateOptions<TrackingOptions>
{
    public ValidateOptionsResult Validate(string? name, TrackingOptions options)
    {
        var errors = new List<string>();
        if (options.WriteKeys.Count == 0 && !environment.IsDevelopment())
        {
            errors.Add(
                $"No write keys are configured and the environment is '{environment.EnvironmentName}'. Set at least one as " +
                "Tracking:WriteKeys:<key>=<source name> (environment variable Tracking__WriteKeys__<key>=<source name>); " +
                "only the Development environment accepts any key.");
        }

        foreach (var (key, source) in options.WriteKeys)
        {
            if (string.IsNullOrWhiteSpace(source))
            {
                errors.Add($"A write key of {key.Length} characters has no source name: Tracking:WriteKeys:<key> must name the source it belongs to.");
            }
        }

        if (!string.IsNullOrEmpty(options.PublicUrl)
            && (!Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url)
                || url.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment) || !string.IsNullOrEmpty(url.UserInfo)))
        {
            errors.Add($"Tracking:PublicUrl is '{options.PublicUrl}': it must be an absolute http or https URL without user, query or fragment, such as https://api.example.com.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
