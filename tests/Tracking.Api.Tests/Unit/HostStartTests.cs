using Microsoft.Extensions.Options;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Tests.Unit;

/// <summary>Which exceptions end a start as a refusal (one line, exit 2 or 3) and which keep their stack trace.</summary>
public class HostStartTests
{
    [Fact]
    public void RefusedSettingsExitWithTwoAndEveryFailureIsSaid()
    {
        var refusal = HostStart.Refusal(new OptionsValidationException("x", typeof(object), ["Tracking:A is bad.", "Tracking:B is worse."]));

        Assert.Equal(("Tracking:A is bad. Tracking:B is worse.", 2), refusal);
    }

    [Fact]
    public void AValueTheBinderCannotConvertIsARefusedSetting()
    {
        var binder = new InvalidOperationException("Failed to convert configuration value at 'Tracking:Queue:MaxEvents' to type 'System.Int32'.", new FormatException("lots is not a valid value for Int32."));

        Assert.Equal(("Failed to convert configuration value at 'Tracking:Queue:MaxEvents' to type 'System.Int32'. lots is not a valid value for Int32.", 2), HostStart.Refusal(binder));
    }

    [Fact]
    public void SomethingTheSettingsPointAtThatCannotBeUsedExitsWithThree()
    {
        Assert.Equal(("the spool is in use", 3), HostStart.Refusal(new StartRefusedException("the spool is in use")));
        Assert.Equal(("Failed to bind to address http://127.0.0.1:8080: address already in use.", 3), HostStart.Refusal(new IOException("Failed to bind to address http://127.0.0.1:8080: address already in use.")));
        Assert.Equal(3, HostStart.Refusal(new UnauthorizedAccessException("Access to the path '/data' is denied."))!.Value.ExitCode);
    }

    [Fact]
    public void SeveralRefusalsTogetherAreSaidTogetherWithTheGraverCode()
    {
        var both = new AggregateException(new OptionsValidationException("x", typeof(object), ["Tracking:A is bad."]), new StartRefusedException("the list cannot be read"));

        Assert.Equal(("Tracking:A is bad. the list cannot be read", 3), HostStart.Refusal(both));
    }

    [Fact]
    public void AWiringBugIsNoRefusalAndKeepsItsStackTrace()
    {
        Assert.Null(HostStart.Refusal(new InvalidOperationException("Unable to resolve service for type 'Tracking.Api.Delivery.IEventSink' while attempting to activate 'Tracking.Api.Delivery.EventBatcher'.")));
        Assert.Null(HostStart.Refusal(new KeyNotFoundException("the key was not present")));
        Assert.Null(HostStart.Refusal(new ArgumentException("bad argument")));
        Assert.Null(HostStart.Refusal(new FileNotFoundException("Could not load file or assembly 'Npgsql, Version=10.0.3.0'.")));
        Assert.Null(HostStart.Refusal(new FileLoadException("Could not load file or assembly 'YamlDotNet'.")));
        Assert.Null(HostStart.Refusal(new AggregateException(new StartRefusedException("the list cannot be read"), new KeyNotFoundException("the key was not present"))));
        Assert.Null(HostStart.Refusal(new AggregateException()));
    }
}
