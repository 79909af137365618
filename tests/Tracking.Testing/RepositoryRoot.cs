namespace Tracking.Testing;

/// <summary>Finds the repository root: the first folder above the test binaries that holds <c>TrackingApi.sln</c>.</summary>
public static class RepositoryRoot
{
    private const string SolutionFile = "TrackingApi.sln";

    private static readonly Lazy<string> Root = new(() => Find(AppContext.BaseDirectory));

    /// <summary>The root's full path.</summary>
    public static string Path => Root.Value;

    /// <summary>A path under the root, e.g. <c>Combine("tests", "emulators")</c>.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} found in {start} or any folder above it.");
    }
}
