namespace Tracking.Testing;

/// <summary>
/// A fresh folder under <c>{temp}/tracking-tests</c> for one test or fixture, deleted with everything in
/// it on dispose, so a run (passed or failed) leaves nothing behind in the system's temporary folder.
/// </summary>
public sealed class TemporaryFolder : IDisposable
{
    /// <summary>Creates (on disk) a folder named <paramref name="prefix"/> and a fresh id.</summary>
    public TemporaryFolder(string prefix = "")
    {
        Path = NewPath(prefix);
        Directory.CreateDirectory(Path);
    }

    /// <summary>Where every test's folders go: <c>{temp}/tracking-tests</c>.</summary>
    public static string Root => System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tracking-tests");

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>A path under <see cref="Path"/>.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>A fresh path under <see cref="Root"/>, not created, for code that creates its folder itself; delete it with <see cref="Delete"/>.</summary>
    public static string NewPath(string prefix = "") => System.IO.Path.Combine(Root, prefix + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Deletes <paramref name="folder"/> with everything in it, if it is there, and <see cref="Root"/> once
    /// nothing else is in it (other test processes may still be using it, so only when empty).
    /// </summary>
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        try
        {
            Directory.Delete(Root, recursive: false);
        }
        catch (IOException)
        {
            // Not empty: another fixture or test process still has a folder there.
        }
    }

    public void Dispose() => Delete(Path);
}
