using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Consumer.Telemetry;

namespace Tracking.Consumer.Tests.Support;

internal static class TestMetrics
{
    /// <summary>Metrics on a meter factory of their own, so tests never share instruments.</summary>
    public static ConsumerMetrics Create() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}
