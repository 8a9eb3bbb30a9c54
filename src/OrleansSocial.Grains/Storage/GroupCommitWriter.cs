using System.Threading.Channels;

namespace OrleansSocial.Grains.Storage;

/// <summary>
/// Group commit: changes from every grain of the silo that arrive while a write is in flight are written together by
/// <see cref="WriteBatchAsync"/> (one round trip, one transaction), and each caller's task completes only after that
/// transaction committed — an acknowledged change is as durable as if it had been written alone. Several batches may be
/// in flight at once (the database has more than one core). A batch that fails is retried change by change, so one bad
/// change fails alone.
/// </summary>
public abstract class GroupCommitWriter<TChange, TResult> : IAsyncDisposable
{
    private readonly int _maxBatch;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _loops;

    protected GroupCommitWriter(int writers, int maxBatch)
    {
        _maxBatch = maxBatch;

        // Often first resolved inside a grain call: the loops must not inherit that call's context (its call chain).
        using (ExecutionContext.SuppressFlow())
        {
            _loops = Enumerable.Range(0, writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
        }
    }

    /// <summary>Queues the change for the next batch; completes once it is committed.</summary>
    protected Task<TResult> EnqueueAsync(TChange change)
    {
        var pending = new Pending(change);
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : throw new ObjectDisposedException(GetType().Name);
    }

    /// <summary>Writes the batch in one transaction and completes each change's <see cref="Pending.Done"/>.</summary>
    protected abstract Task WriteBatchAsync(IReadOnlyList<Pending> batch);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var one in batch)
                {
                    await WriteOneAsync(one).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task WriteOneAsync(Pending one)
    {
        try
        {
            await WriteBatchAsync([one]).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            one.Done.TrySetException(e);
        }
    }

    /// <summary>A queued change and the task its caller awaits.</summary>
    protected sealed class Pending(TChange change)
    {
        public TChange Change { get; } = change;

        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
