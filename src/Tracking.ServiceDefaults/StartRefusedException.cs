namespace Tracking.ServiceDefaults;

/// <summary>
/// Something the settings point at cannot be used when the host starts: a database that cannot be reached or
/// migrated, a folder another instance holds, a file that cannot be read. <see cref="HostStart"/> reports it as one
/// line and exit code <see cref="HostStart.Unavailable"/>. The message names the setting.
/// </summary>
public sealed class StartRefusedException(string message, Exception? innerException = null) : Exception(message, innerException);
