namespace Tracking.Api.Spool;

/// <summary>How accepted events are kept until a sink acknowledges them.</summary>
internal enum Durability
{
    /// <summary>Written and synced to disk (fsync) before the API answers 200: survives a crash of the process and of the machine.</summary>
    Fsync,

    /// <summary>Written to the operating system before the answer: survives a crash of the process, not of the machine.</summary>
    Write,

    /// <summary>Kept in memory only: fastest, and what the process holds is lost if it dies.</summary>
    Memory,
}
