namespace Tracking.Api.Enrichment.Devices;

/// <summary>One parsed piece of a user agent: a family and up to three version parts (for a device: family, brand, model).</summary>
/// <param name="Family">The browser, OS or device family; null when none.</param>
/// <param name="V1">The major version (a device's brand).</param>
/// <param name="V2">The minor version (a device's model).</param>
/// <param name="V3">The patch version.</param>
/// <param name="FullVersion">A version the client hints gave, which replaces the one the parts make.</param>
internal sealed record Part(string? Family, string? V1, string? V2, string? V3, string? FullVersion = null)
{
    /// <summary>The client hints' version, else the version parts present joined by dots (<c>120.0.6099</c>); null when there are none.</summary>
    public string? Version =>
        FullVersion ?? (V1 is null ? null : V2 is null ? V1 : V3 is null ? $"{V1}.{V2}" : $"{V1}.{V2}.{V3}");
}

/// <summary>What uap-core's patterns say of a user agent; each part null when its family is <c>Other</c>.</summary>
internal sealed record UserAgentDetails(Part? Browser, Part? Os, Part? Device);
