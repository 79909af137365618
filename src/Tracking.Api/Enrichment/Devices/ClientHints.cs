using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tracking.Api.Enrichment.Devices;

/// <summary>
/// User-agent client hints: the <c>Sec-CH-UA-*</c> request headers, or analytics.js's <c>context.userAgentData</c>
/// (<c>navigator.userAgentData</c>). Chromium browsers freeze their <c>User-Agent</c> (Windows 11 says
/// <c>Windows NT 10.0</c>, Android says model <c>K</c>, minor versions are zeros); the hints carry what it hides.
/// </summary>
/// <param name="PlatformVersion">The OS version (<c>15.0.0</c>; on Windows 13 and up is Windows 11).</param>
/// <param name="Model">The device model (<c>Pixel 7</c>), empty on desktops.</param>
/// <param name="FullVersions">Each brand with its full version (<c>Google Chrome</c>, <c>120.0.6099.130</c>).</param>
internal sealed record ClientHints(string? PlatformVersion, string? Model, IReadOnlyList<KeyValuePair<string, string>> FullVersions)
{
    /// <summary>What the hints add to the user agent's cache key, so two requests with one user agent and different hints are parsed apart.</summary>
    public string Key => $"{PlatformVersion}\n{Model}\n{string.Join(',', FullVersions.Select(v => $"{v.Key};{v.Value}"))}";

    /// <summary>The high-entropy hints among <paramref name="headers"/>; null when none of them is there (the low-entropy ones add nothing to the user agent).</summary>
    public static ClientHints? FromHeaders(IHeaderDictionary headers)
    {
        var platformVersion = Unquote(headers["Sec-CH-UA-Platform-Version"].ToString());
        var model = Unquote(headers["Sec-CH-UA-Model"].ToString());
        var versions = BrandList(headers["Sec-CH-UA-Full-Version-List"].ToString());
        return platformVersion is null && model is null && versions.Count == 0 ? null : new ClientHints(platformVersion, model, versions);
    }

    /// <summary>The hints in a <c>context.userAgentData</c> object (<c>platformVersion</c>, <c>model</c>, <c>fullVersionList</c>); null when it has none.</summary>
    public static ClientHints? FromUserAgentData(ReadOnlySpan<byte> json)
    {
        string? platformVersion = null, model = null;
        var versions = new List<KeyValuePair<string, string>>();
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "platformVersion" when reader.TokenType == JsonTokenType.String:
                    platformVersion = Blank(reader.GetString());
                    break;
                case "model" when reader.TokenType == JsonTokenType.String:
                    model = Blank(reader.GetString());
                    break;
                case "fullVersionList" when reader.TokenType == JsonTokenType.StartArray:
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        string? brand = null, version = null;
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var field = reader.GetString();
                            reader.Read();
                            if (reader.TokenType == JsonTokenType.String)
                            {
                                if (field == "brand")
                                {
                                    brand = reader.GetString();
                                }
                                else if (field == "version")
                                {
                                    version = reader.GetString();
                                }
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }

                        if (brand is { Length: > 0 } && version is { Length: > 0 })
                        {
                            versions.Add(new(brand, version));
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return platformVersion is null && model is null && versions.Count == 0 ? null : new ClientHints(platformVersion, model, versions);
    }

    /// <summary><paramref name="details"/> corrected by the hints: the browser's full version, the OS version, the device model.</summary>
    public UserAgentDetails Apply(UserAgentDetails details)
    {
        var browser = details.Browser;
        if (browser?.Family is { } family)
        {
            // uap-core names Chrome on Android "Chrome Mobile"; the brand is "Google Chrome".
            family = family.EndsWith(" Mobile", StringComparison.Ordinal) ? family[..^" Mobile".Length] : family;
            foreach (var (brand, version) in FullVersions)
            {
                // "Google Chrome" for Chrome, "Microsoft Edge" for Edge; GREASE brands ("Not?A_Brand") match nothing.
                if ((brand == family || brand.EndsWith(" " + family, StringComparison.Ordinal)) && SameMajor(version, browser.V1))
                {
                    browser = browser with { FullVersion = version };
                    break;
                }
            }
        }

        var os = details.Os;
        if (os is not null && PlatformVersion is { } platformVersion)
        {
            os = os.Family == "Windows" ? WindowsVersion(os, platformVersion) : os with { FullVersion = platformVersion };
        }

        var device = details.Device;
        if (Model is { } model)
        {
            device = device is null ? new Part(model, null, model, null) : device with { V2 = model, Family = device.Family is null or "K" or "Generic Smartphone" ? model : device.Family };
        }

        return new UserAgentDetails(browser, os, device);
    }

    /// <summary>Windows reports 1–10 for Windows 10 and 13 and up for Windows 11 (Microsoft's documented mapping).</summary>
    private static Part WindowsVersion(Part os, string platformVersion)
    {
        var dot = platformVersion.IndexOf('.', StringComparison.Ordinal);
        if (!int.TryParse(dot < 0 ? platformVersion : platformVersion[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return os;
        }

        return major >= 13 ? os with { V1 = "11", V2 = null, V3 = null, FullVersion = null } : major >= 1 ? os with { V1 = "10", V2 = null, V3 = null, FullVersion = null } : os;
    }

    private static bool SameMajor(string version, string? major) =>
        major is null || version.StartsWith(major + ".", StringComparison.Ordinal) || version == major;

    /// <summary>A structured-header list such as <c>"Chromium";v="120.0.6099.130", "Not?A_Brand";v="99.0.0.0"</c>.</summary>
    private static List<KeyValuePair<string, string>> BrandList(string header)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var item in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(';', StringSplitOptions.TrimEntries);
            var brand = Unquote(parts[0]);
            var version = parts.Skip(1).Where(p => p.StartsWith("v=", StringComparison.Ordinal)).Select(p => Unquote(p[2..])).FirstOrDefault();
            if (brand is not null && version is not null)
            {
                list.Add(new(brand, version));
            }
        }

        return list;
    }

    private static string? Unquote(string value)
    {
        value = value.Trim();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            var text = new StringBuilder(value.Length);
            for (var i = 1; i < value.Length - 1; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length - 1)
                {
                    i++;
                }

                text.Append(value[i]);
            }

            value = text.ToString();
        }

        return Blank(value);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
