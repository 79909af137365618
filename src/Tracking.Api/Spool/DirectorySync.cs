using System.Runtime.InteropServices;

namespace Tracking.Api.Spool;

/// <summary>
/// Syncs a folder's entries to disk (fsync on the folder), so a file created or deleted in it stays
/// created or deleted after a power loss; .NET has no API for it. A no-op where it cannot be done.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    public static void Sync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var descriptor = Open(directory, ReadOnlyDirectory);
        if (descriptor < 0)
        {
            return;
        }

        try
        {
            if (FileSync(descriptor) != 0)
            {
                throw new IOException($"fsync of the folder {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
