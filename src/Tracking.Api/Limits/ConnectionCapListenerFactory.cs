using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Tracking.Api.Telemetry;

namespace Tracking.Api.Limits;

/// <summary>
/// Kestrel's socket listener, with the connection limit (<see cref="KestrelServerOptions.Limits"/>'s
/// <c>MaxConcurrentConnections</c>) enforced where connections are accepted. Kestrel's own limit refuses a connection
/// on a thread-pool work item queued per accepted connection; on starved cores a burst of thousands of connections is
/// accepted faster than those items run, each holding a descriptor, until the process runs out of them (and the
/// runtime, which needs descriptors for executable memory, aborts). Here a connection past the limit is closed in the
/// accept loop itself before the next one is accepted, so the descriptors held never exceed the limit by more than one.
/// </summary>
internal sealed class ConnectionCapListenerFactory(
    IConnectionListenerFactory inner, IOptions<KestrelServerOptions> kestrel, TrackingMetrics metrics, ConnectionCapListenerFactory.OpenConnections open)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>
    /// One count for every listener of every transport: "localhost" binds two listeners (IPv4 and IPv6) and each URL
    /// one more, and the limit, sized from the process's descriptors, is the process's.
    /// </summary>
    internal sealed class OpenConnections
    {
        public long Count;
    }

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = await inner.BindAsync(endpoint, cancellationToken);
        return kestrel.Value.Limits.MaxConcurrentConnections is { } limit ? new CappedListener(listener, limit, metrics, open) : listener;
    }

    public bool CanBind(EndPoint endpoint) => inner is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    private sealed class CappedListener(IConnectionListener inner, long limit, TrackingMetrics metrics, OpenConnections open) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var connection = await inner.AcceptAsync(cancellationToken);
                if (connection is null)
                {
                    return null;
                }

                if (Interlocked.Increment(ref open.Count) <= limit)
                {
                    return new CountedConnection(connection, this);
                }

                Interlocked.Decrement(ref open.Count);
                try
                {
                    metrics.ConnectionRefused();
                    await connection.DisposeAsync();
                }
                catch (Exception)
                {
                    // The client reset it first, or the like: anything thrown out of here would stop Kestrel accepting at all.
                }
            }
        }

        public void Ended() => Interlocked.Decrement(ref open.Count);

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>An accepted connection that gives its place back when Kestrel disposes it; everything else is the transport's.</summary>
    private sealed class CountedConnection(ConnectionContext inner, CappedListener listener) : ConnectionContext
    {
        private int _ended;

        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }

        public override IFeatureCollection Features => inner.Features;

        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }

        public override IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }

        public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

        public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }

        public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

        public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

        public override void Abort() => inner.Abort();

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                if (Interlocked.Exchange(ref _ended, 1) == 0)
                {
                    listener.Ended();
                }

                await base.DisposeAsync();
            }
        }
    }
}
