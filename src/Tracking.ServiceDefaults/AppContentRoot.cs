using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Tracking.ServiceDefaults;

/// <summary>
/// Where a host finds its own files. A service manager or a container without a working directory starts it from
/// anywhere (<c>cd / &amp;&amp; dotnet /opt/tracking/Tracking.Consumer.dll</c>), so the content root (appsettings.json,
/// relative data folders) defaults to the folder that holds the app's dll rather than the working directory. An
/// explicit content root (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>, <c>DOTNET_CONTENTROOT</c>; a relative
/// one is taken from the dll's folder) still wins.
/// </summary>
public static class AppContentRoot
{
    /// <summary>The options to create the host's builder with.</summary>
    public static WebApplicationOptions Options(string[] args)
    {
        var explicitRoot = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[WebHostDefaults.ContentRootKey];
        return new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = string.IsNullOrEmpty(explicitRoot) ? AppContext.BaseDirectory : null,
        };
    }
}
