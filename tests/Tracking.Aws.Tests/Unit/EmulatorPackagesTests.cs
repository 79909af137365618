using Tracking.Testing.Emulators;

namespace Tracking.Aws.Tests.Unit;

public class EmulatorPackagesTests
{
    [Fact]
    public void AMissingEmulatorPackageFailsNamingTheInstallCommand()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => EmulatorPackages.Require("no-such-emulator"));

        Assert.Contains("npm ci --prefix tests/emulators", exception.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("tests", "emulators", "node_modules", "no-such-emulator"), exception.Message, StringComparison.Ordinal);
    }
}
