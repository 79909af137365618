namespace Tracking.Consumer.Health;

/// <summary>One failure of a shard as <see cref="ShardHealth.Failed"/> counted it.</summary>
/// <param name="Failures">Failures in a row, this one included.</param>
/// <param name="Since">When the first of them happened.</param>
/// <param name="RetryIn">The back-off before this worker tries the shard again.</param>
/// <param name="Reason">The exception's type and message.</param>
/// <param name="WithStackTrace">Log the stack trace: only for the first failure in a row.</param>
/// <param name="Warn">Log at Warning: the first failure, then at most once per <see cref="ShardHealth.LogInterval"/>.</param>
internal sealed record ShardFailure(int Failures, DateTimeOffset Since, TimeSpan RetryIn, string Reason, bool WithStackTrace, bool Warn);
