using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace OrleansSocial.Runtime.Messaging;

/// <summary>
/// One TCP connection between two processes of the cluster. Frames to send go through a bounded channel (a slow peer
/// makes senders wait instead of growing memory) to a writer loop that batches them into the socket; a reader loop
/// parses frames with a <see cref="PipeReader"/> and hands them out. When the connection breaks, every request waiting
/// for a response on it fails at once with <see cref="SiloUnavailableException"/>.
/// </summary>
internal sealed class SiloConnection : IAsyncDisposable
{
    private const int OutboundCapacity = 8192;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<byte[]> _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(OutboundCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly ConcurrentDictionary<long, Message> _pending = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _pings = new();
    private readonly Func<SiloConnection, FrameKind, long, ReadOnlySequence<byte>, ValueTask> _onFrame;
    private readonly CancellationTokenSource _closed = new();
    private long _nextId;
    private int _disposed;

    public SiloConnection(Socket socket, string remote, Func<SiloConnection, FrameKind, long, ReadOnlySequence<byte>, ValueTask> onFrame)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Remote = remote;
        _onFrame = onFrame;
        Completion = Task.WhenAll(Task.Run(ReadLoopAsync), Task.Run(WriteLoopAsync));
    }

    public string Remote { get; }

    public bool IsClosed => _closed.IsCancellationRequested;

    public Task Completion { get; }

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void AddPending(long id, Message message) => _pending[id] = message;

    public Message? TakePending(long id) => _pending.TryRemove(id, out var message) ? message : null;

    public async ValueTask SendAsync(byte[] frame)
    {
        try
        {
            await _outbound.Writer.WriteAsync(frame, _closed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            throw new SiloUnavailableException($"The connection to {Remote} is closed.");
        }
    }

    /// <summary>Sends a ping and waits for the pong.</summary>
    public async Task<bool> PingAsync(TimeSpan timeout)
    {
        var id = NextId();
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[id] = pong;
        try
        {
            await SendAsync(WireFormat.Control(FrameKind.Ping, id)).ConfigureAwait(false);
            await pong.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or SiloUnavailableException)
        {
            return false;
        }
        finally
        {
            _pings.TryRemove(id, out _);
        }
    }

    public void CompletePong(long id)
    {
        if (_pings.TryRemove(id, out var pong))
        {
            pong.TrySetResult();
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (TryReadFrame(ref buffer, out var kind, out var id, out var body))
                {
                    await _onFrame(this, kind, id, body).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
#pragma warning disable CA1031 // any read failure means the connection is gone
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            Close();
        }
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out FrameKind kind, out long id, out ReadOnlySequence<byte> body)
    {
        kind = default;
        id = 0;
        body = default;
        if (buffer.Length < WireFormat.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[WireFormat.HeaderSize];
        buffer.Slice(0, WireFormat.HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < WireFormat.HeaderSize - 4 || length > WireFormat.MaxFrameSize)
        {
            throw new InvalidDataException($"Invalid frame length {length}.");
        }

        if (buffer.Length < length + 4)
        {
            return false;
        }

        kind = (FrameKind)header[4];
        id = BinaryPrimitives.ReadInt64LittleEndian(header[5..]);
        body = buffer.Slice(WireFormat.HeaderSize, length + 4 - WireFormat.HeaderSize);
        buffer = buffer.Slice(length + 4);
        return true;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        var buffered = new BufferedStream(_stream, 64 * 1024);
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    await buffered.WriteAsync(frame, _closed.Token).ConfigureAwait(false);
                }

                await buffered.FlushAsync(_closed.Token).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // any write failure means the connection is gone
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Closes the connection abruptly and fails everything waiting on it.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closed.Cancel();
        _outbound.Writer.TryComplete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stream.Dispose();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var message))
            {
                message.TrySetException(new SiloUnavailableException(
                    $"The connection to {Remote} broke while {message.Describe()} was waiting for its response; it may or may not have run."));
            }
        }

        foreach (var ping in _pings.Values)
        {
            ping.TrySetException(new SiloUnavailableException($"The connection to {Remote} is closed."));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        try
        {
            await Completion.ConfigureAwait(false);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
