using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OrleansSocial.Runtime.Core;

namespace OrleansSocial.Runtime.Messaging;

/// <summary>
/// Silo-to-silo messaging over TCP: a listener for requests from peers and clients, and one outbound connection per
/// peer for this silo's own requests (responses come back on it). Requests in flight to a peer whose connection breaks
/// fail at once with <see cref="SiloUnavailableException"/> (at most once: the caller decides whether to retry).
/// </summary>
internal sealed class TcpTransport : IMessageTransport, IAsyncDisposable
{
    // Requests from one connection running at once; beyond this the reader stops reading and TCP pushes back.
    private const int MaxInboundConcurrency = 4096;

    private readonly ConcurrentDictionary<string, Lazy<Task<SiloConnection>>> _outbound = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SiloConnection, byte> _inbound = new();
    private readonly ILogger _logger;
    private TcpListener? _listener;
    private Func<GrainRuntime>? _runtime;
    private int _stopped;

    public TcpTransport(ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger<TcpTransport>();
    }

    /// <summary>Binds the transport to its runtime (clients, which do not listen).</summary>
    public void UseRuntime(Func<GrainRuntime> runtime) => _runtime = runtime;

    /// <summary>Starts accepting connections on the silo's endpoint.</summary>
    public void Listen(IPEndPoint endpoint, Func<GrainRuntime> runtime)
    {
        _runtime = runtime;
        _listener = new TcpListener(endpoint);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(512);
        _ = Task.Run(AcceptLoopAsync);
    }

    public async ValueTask<object?> SendRequestAsync(SiloAddress target, Message message)
    {
        var runtime = _runtime!();
        var connection = await ConnectAsync(target).ConfigureAwait(false);
        var id = connection.NextId();
        connection.AddPending(id, message);
        message.StartTimeout(runtime.Time, message.ResponseTimeout ?? runtime.ResponseTimeout, m =>
        {
            connection.TakePending(id);
            runtime.OnTimeout(m);
        });
        byte[] frame;
        try
        {
            frame = WireFormat.Request(id, message, message.Remaining(runtime.Time), runtime.SerializerOptions);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException)
        {
            connection.TakePending(id);
            throw new ArgumentException($"The arguments of {message.Describe()} cannot be sent to another silo: {e.Message}", e);
        }

        await connection.SendAsync(frame).ConfigureAwait(false);
        return await message.AsValueTask().ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="target"/> answers a ping within <paramref name="timeout"/>.</summary>
    public async Task<bool> PingAsync(SiloAddress target, TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            var connection = await ConnectAsync(target).WaitAsync(cts.Token).ConfigureAwait(false);
            return await connection.PingAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SiloUnavailableException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes the connection to a silo that left, failing what waits on it.</summary>
    public void Disconnect(SiloAddress silo)
    {
        if (_outbound.TryRemove(silo.Endpoint, out var connection) && connection.Value.IsCompletedSuccessfully)
        {
            connection.Value.Result.Close();
        }
    }

    /// <summary>Stops listening and drops every connection at once (a crash, or the end of shutdown).</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _listener?.Stop();
        foreach (var connection in _inbound.Keys)
        {
            connection.Close();
        }

        foreach (var pending in _outbound.Values)
        {
            if (pending.Value.IsCompletedSuccessfully)
            {
                pending.Value.Result.Close();
            }
        }

        _outbound.Clear();
    }

    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }

    private Task<SiloConnection> ConnectAsync(SiloAddress target)
    {
        if (Volatile.Read(ref _stopped) != 0)
        {
            throw new SiloUnavailableException("This silo's transport is stopped.");
        }

        while (true)
        {
            var lazy = _outbound.GetOrAdd(target.Endpoint, endpoint => new Lazy<Task<SiloConnection>>(() => OpenAsync(target)));
            var task = lazy.Value;
            if (task.IsFaulted || task.IsCompletedSuccessfully && task.Result.IsClosed)
            {
                // Forget a failed or broken connection so the next call tries again.
                _outbound.TryRemove(new KeyValuePair<string, Lazy<Task<SiloConnection>>>(target.Endpoint, lazy));
                if (task.IsFaulted)
                {
                    return task;
                }

                continue;
            }

            return task;
        }
    }

    private async Task<SiloConnection> OpenAsync(SiloAddress target)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(target.Host, target.Port, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new SiloUnavailableException($"Silo {target} cannot be reached: {e.Message}", e);
        }

        return new SiloConnection(socket, target.ToString(), OnOutboundFrame);
    }

    private ValueTask OnOutboundFrame(SiloConnection connection, FrameKind kind, long id, ReadOnlySequence<byte> body)
    {
        if (kind == FrameKind.Response && connection.TakePending(id) is { } message)
        {
            WireFormat.CompleteFromResponse(body.IsSingleSegment ? body.FirstSpan : body.ToArray(), message, _runtime!().SerializerOptions);
        }
        else if (kind == FrameKind.Pong)
        {
            connection.CompletePong(id);
        }

        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync()
    {
        while (Volatile.Read(ref _stopped) == 0)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptSocketAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var gate = new SemaphoreSlim(MaxInboundConcurrency);
            var connection = new SiloConnection(socket, socket.RemoteEndPoint?.ToString() ?? "peer",
                (c, kind, id, body) => OnInboundFrame(c, gate, kind, id, body));
            _inbound[connection] = 0;
            _ = connection.Completion.ContinueWith((_, state) => _inbound.TryRemove((SiloConnection)state!, out byte _), connection, TaskScheduler.Default);
            if (Volatile.Read(ref _stopped) != 0)
            {
                connection.Close();
            }
        }
    }

    private async ValueTask OnInboundFrame(SiloConnection connection, SemaphoreSlim gate, FrameKind kind, long id, ReadOnlySequence<byte> body)
    {
        if (kind == FrameKind.Ping)
        {
            await connection.SendAsync(WireFormat.Control(FrameKind.Pong, id)).ConfigureAwait(false);
            return;
        }

        if (kind != FrameKind.Request)
        {
            return;
        }

        var runtime = _runtime!();
        RemoteRequest request;
        try
        {
            request = WireFormat.ReadRequest(body.IsSingleSegment ? body.FirstSpan : body.ToArray(), runtime.Registry, runtime.SerializerOptions);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or ArgumentException or OrleansException or KeyNotFoundException)
        {
            await connection.SendAsync(WireFormat.Response(id, null, null, e, runtime.SerializerOptions)).ConfigureAwait(false);
            return;
        }

        if (request.Timeout is { } left && left <= TimeSpan.Zero)
        {
            // The caller has already given up: do not run it.
            await connection.SendAsync(WireFormat.Response(id, null, null,
                new TimeoutException($"{request.Method.Name} on {request.Target} arrived after its deadline."), runtime.SerializerOptions)).ConfigureAwait(false);
            return;
        }

        await gate.WaitAsync().ConfigureAwait(false);
        _ = RunAsync(runtime, connection, gate, id, request);
    }

    private static async Task RunAsync(GrainRuntime runtime, SiloConnection connection, SemaphoreSlim gate, long id, RemoteRequest request)
    {
        try
        {
            object? result = null;
            Exception? error = null;
            try
            {
                result = await runtime.Send(request.Target, request.ClassInfo, request.Method, request.Arguments, request.Context, request.Hops + 1, request.Timeout)
                    .ConfigureAwait(false);
            }
#pragma warning disable CA1031 // every failure goes back to the caller
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }

            byte[] frame;
            try
            {
                frame = WireFormat.Response(id, request.Method.ResultType, result, error, runtime.SerializerOptions);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException)
            {
                frame = WireFormat.Response(id, null, null, new OrleansException($"The result of {request.Method.Name} cannot be sent: {e.Message}"), runtime.SerializerOptions);
            }

            await connection.SendAsync(frame).ConfigureAwait(false);
        }
        catch (SiloUnavailableException)
        {
            // The caller went away; nobody is waiting for this response.
        }
        finally
        {
            gate.Release();
        }
    }
}
