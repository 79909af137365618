namespace Tracking.Api;

/// <summary>
/// Where the app finds its own files. A service manager or a container without a working directory
/// starts it from anywhere (<c>cd / &amp;&amp; dotnet /opt/tracking/Tracking.Api.dll</c>), so the content
/// root (appsettings.json, wwwroot, relative data folders) defaults to the folder that holds
/// Tracking.Api.dll rather than the working directory. An explicit content root
/// (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>, <c>DOTNET_CONTENTROOT</c>; a relative one is
/// taken from the dll's folder) still wins: under <c>dotnet run</c>, launchSettings.json sets
/// <c>../../..</c>, from <c>bin/&lt;Configuration&gt;/net10.0</c> back to the project folder, so a
/// developer's outbox stays in <c>src/Tracking.Api/data/outbox</c>.
/// </summary>
internal static class AppFolder
{
    public static WebApplicationOptions Options(string[] args) => Tracking.ServiceDefaults.AppContentRoot.Options(args);

    /// <summary><paramref name="path"/> as a full path, a relative one taken from the content root.</summary>
    public static string Resolve(IHostEnvironment environment, string path) =>
        Path.GetFullPath(path, environment.ContentRootPath);
}
