using System.Text;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Ingestion;

namespace Tracking.Api.Tests.Unit;

public class WriteKeysTests
{
    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Tracking.Api";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private static WriteKeys Keys(string environment, params (string Key, string Source)[] keys)
    {
        var options = new TrackingOptions();
        foreach (var (key, source) in keys)
        {
            options.WriteKeys[key] = source;
        }

        return new WriteKeys(Options.Create(options), new Environment(environment), NullLogger<WriteKeys>.Instance);
    }

    private static string Basic(string userAndPassword) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userAndPassword));

    [Fact]
    public void AConfiguredKeyMapsToItsSource()
    {
        var keys = Keys("Production", ("k1", "ios-app"), ("k2", "website"));

        Assert.Equal("website", keys.SourceOf("k2"));
        Assert.Null(keys.SourceOf("K2"));
        Assert.Null(keys.SourceOf("unknown"));
        Assert.Null(keys.SourceOf(null));
    }

    [Fact]
    public void DevelopmentWithoutKeysAcceptsAnyKeyButNotNone()
    {
        var keys = Keys("Development");

        Assert.Equal(WriteKeys.DevelopmentSource, keys.SourceOf("anything"));
        Assert.Null(keys.SourceOf(""));
    }

    [Fact]
    public void DevelopmentWithKeysAcceptsOnlyThose()
    {
        Assert.Null(Keys("Development", ("k1", "app")).SourceOf("other"));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void OutsideDevelopmentNoKeysRefusesToStart(string environment)
    {
        var result = new TrackingOptionsValidator(new Environment(environment)).Validate(null, new TrackingOptions());

        Assert.True(result.Failed);
        Assert.Contains("Tracking__WriteKeys__<key>=<source name>", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyWithoutASourceNameIsRefused()
    {
        var options = new TrackingOptions { WriteKeys = { ["secret-7f3a"] = " " } };

        var result = new TrackingOptionsValidator(new Environment("Production")).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("has no source name", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-7f3a", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wk_123:", "wk_123")]
    [InlineData("wk_123", "wk_123")]
    [InlineData("wk_123:ignored-password", "wk_123")]
    [InlineData(":", "")]
    public void TheKeyIsTheUserNameOfBasicAuth(string credentials, string expected)
    {
        Assert.Equal(expected, WriteKeys.FromAuthorizationHeader(Basic(credentials)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("Bearer abc", null)]
    [InlineData("Basic !!!not-base64!!!", "")]
    public void OtherOrBrokenHeadersGiveNoKey(string? header, string? expected)
    {
        Assert.Equal(expected, WriteKeys.FromAuthorizationHeader(header));
    }
}
