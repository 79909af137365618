using System.Runtime.InteropServices;

namespace Tracking.Api.Limits;

/// <summary>The process's open-file limit (<c>ulimit -n</c>, RLIMIT_NOFILE), and how many connections it leaves room for.</summary>
internal static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7; // Linux

    /// <summary>The soft limit, or null where it cannot be read (not Linux).</summary>
    public static long? Current()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return GetRLimit(RlimitNofile, out var limit) == 0 && limit.Current is > 0 and < long.MaxValue ? (long)limit.Current : null;
    }

    /// <summary>
    /// Connections that leave a quarter of <paramref name="descriptors"/> (at least 128, at most 4,096)
    /// for everything else the process opens: a client holding every descriptor would otherwise stop
    /// the outbox and the sinks from opening theirs, and send Kestrel's accept loop spinning on EMFILE.
    /// </summary>
    public static int ConnectionsFor(long descriptors)
    {
        var reserve = Math.Clamp(descriptors / 4, 128, 4096);
        return (int)Math.Clamp(descriptors - reserve, 16, int.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);
}
