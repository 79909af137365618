using System.Runtime.InteropServices;

namespace Tracking.Api.Limits;

/// <summary>The process's open-file limit (<c>ulimit -n</c>, RLIMIT_NOFILE), and how many connections it leaves room for.</summary>
internal static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7; // Linux

    /// <summary>
    /// Raises the soft limit to the hard one (at most 1,048,576), as the Go runtime and nginx do: service managers
    /// commonly start processes with a soft limit of 1,024 under a hard one of 524,288, which would cap the
    /// connections for no reason. Returns the soft limit in force afterwards, or null where it cannot be read.
    /// </summary>
    public static long? RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux() || GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        var wanted = Math.Min(limit.Maximum, 1UL << 20);
        if (limit.Current < wanted)
        {
            var raised = new RLimit { Current = wanted, Maximum = limit.Maximum };
            _ = SetRLimit(RlimitNofile, in raised);
        }

        return Current();
    }

    /// <summary>The soft limit, or null where it cannot be read (not Linux).</summary>
    public static long? Current()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return GetRLimit(RlimitNofile, out var limit) == 0 && limit.Current is > 0 and < long.MaxValue ? (long)limit.Current : null;
    }

    /// <summary>Descriptors the process holds now (the runtime keeps every loaded assembly open: about 250 for this app), or null where unknown.</summary>
    public static int? InUse()
    {
        try
        {
            return OperatingSystem.IsLinux() ? System.IO.Directory.GetFileSystemEntries("/proc/self/fd").Length : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Connections that leave room for everything else the process opens: what it holds already, then two
    /// thirds of the rest (at least 256) for assemblies loaded later, the outbox, the spool, the sinks' sockets,
    /// the one connection being refused at a time (<see cref="ConnectionCapListenerFactory"/>), and the
    /// runtime's own (its executable memory needs descriptors too: without them it aborts with "Out of
    /// memory"). A client holding every descriptor would otherwise stop the sinks and the runtime.
    /// </summary>
    public static int ConnectionsFor(long descriptors, int inUse)
    {
        var free = descriptors - inUse;
        var reserve = Math.Max(256, free * 2 / 3);
        return (int)Math.Clamp(free - reserve, 16, int.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, in RLimit limit);
}
