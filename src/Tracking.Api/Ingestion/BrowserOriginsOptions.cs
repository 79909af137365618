namespace Tracking.Api.Ingestion;

/// <summary>
/// Which web origins may call the API from a browser. Bound to <c>Tracking:Cors</c>; named apart from ASP.NET Core's
/// own <c>CorsOptions</c>, which <see cref="CorsSetup"/> fills from it.
/// </summary>
internal sealed class BrowserOriginsOptions
{
    public const string Section = "Tracking:Cors";

    /// <summary>Origins allowed to send events (<c>https://www.example.com</c>), or <c>*</c> for any. Default: any.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
