using System.Collections.Concurrent;
using OrleansSocial.Runtime.Core;

namespace OrleansSocial.Runtime.Activation;

/// <summary>
/// The silo's activations, by grain id, and the idle collector. At most one activation of an ordinary grain exists in
/// the silo; a stateless worker has a pool of up to its limit.
/// </summary>
internal sealed class Catalog(GrainRuntime runtime)
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly ConcurrentDictionary<GrainId, WorkerPool> _workers = new();
    private ITimer? _collector;

    public int Count => _activations.Count + _workers.Values.Sum(p => p.Count);

    public IEnumerable<ActivationData> All => _activations.Values.Concat(_workers.Values.SelectMany(p => p.Snapshot()));

    public ActivationData GetOrCreate(GrainId grainId, GrainClassInfo info)
    {
        if (info.IsStatelessWorker)
        {
            return _workers.GetOrAdd(grainId, static (id, s) => new WorkerPool(id, s.info, s.runtime), (info, runtime)).Pick();
        }

        if (_activations.TryGetValue(grainId, out var existing))
        {
            return existing;
        }

        runtime.EnsureCanActivate(grainId);
        var created = new ActivationData(grainId, info, runtime);
        var winner = _activations.GetOrAdd(grainId, created);
        if (ReferenceEquals(winner, created))
        {
            created.Start();
        }

        return winner;
    }

    public bool TryGet(GrainId grainId, out ActivationData? activation) => _activations.TryGetValue(grainId, out activation);

    public void Remove(ActivationData activation)
    {
        if (activation.ClassInfo.IsStatelessWorker)
        {
            if (_workers.TryGetValue(activation.GrainId, out var pool))
            {
                pool.Remove(activation);
            }

            return;
        }

        _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));
    }

    public void StartCollector(TimeSpan quantum, TimeSpan defaultAge)
    {
        _collector = runtime.Time.CreateTimer(_ => CollectIdle(defaultAge), null, quantum, quantum);
    }

    public void StopCollector() => _collector?.Dispose();

    /// <summary>Deactivates every activation idle for longer than its collection age.</summary>
    public int CollectIdle(TimeSpan defaultAge)
    {
        var now = runtime.Time.GetTimestamp();
        var collected = 0;
        foreach (var activation in All)
        {
            var age = activation.ClassInfo.CollectionAge ?? defaultAge;
            if (age != Timeout.InfiniteTimeSpan && activation.IsIdleLongerThan(now, age))
            {
                activation.DeactivateOnIdle(new DeactivationReason(DeactivationReasonCode.ActivationIdle, $"Idle for more than {age}."));
                collected++;
            }
        }

        return collected;
    }

    /// <summary>A stateless worker's local activations.</summary>
    private sealed class WorkerPool(GrainId grainId, GrainClassInfo info, GrainRuntime runtime)
    {
        private readonly Lock _lock = new();
        private readonly List<ActivationData> _members = [];
        private int _next;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _members.Count;
                }
            }
        }

        public ActivationData[] Snapshot()
        {
            lock (_lock)
            {
                return [.. _members];
            }
        }

        /// <summary>An idle worker if there is one; a new one while under the limit; otherwise the least loaded, round robin.</summary>
        public ActivationData Pick()
        {
            ActivationData? created = null;
            ActivationData picked;
            lock (_lock)
            {
                foreach (var member in _members)
                {
                    if (member.IsIdle)
                    {
                        return member;
                    }
                }

                if (_members.Count < info.MaxLocalWorkers)
                {
                    runtime.EnsureCanActivate(grainId);
                    created = new ActivationData(grainId, info, runtime);
                    _members.Add(created);
                    picked = created;
                }
                else
                {
                    picked = _members[_next++ % _members.Count];
                    foreach (var member in _members)
                    {
                        if (member.QueueLength < picked.QueueLength)
                        {
                            picked = member;
                        }
                    }
                }
            }

            created?.Start();
            return picked;
        }

        public void Remove(ActivationData activation)
        {
            lock (_lock)
            {
                _members.Remove(activation);
            }
        }
    }
}
