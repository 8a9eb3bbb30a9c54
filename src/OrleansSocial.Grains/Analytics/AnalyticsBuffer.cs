using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Analytics;

namespace OrleansSocial.Grains.Analytics;

/// <summary>
/// A silo's analytics, written behind: the grains count what their viewers were shown (each viewer once a day, see
/// <see cref="ViewLedger"/>) into this buffer, and every <see cref="AnalyticsOptions.FlushInterval"/> it adds the hour
/// buckets it gathered to <c>post_stats_hourly</c> and <c>account_stats_hourly</c> and merges its reach sketches into
/// <c>post_reach</c> and <c>account_reach_daily</c> — one transaction for all of them, never a row per view. A failed
/// write keeps the counts for the next one; the silo's last write happens after its grains were deactivated.
/// </summary>
public sealed class AnalyticsBuffer(NpgsqlDataSource db, AnalyticsOptions options, TimeProvider time, ILogger<AnalyticsBuffer> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Lock _gate = new();
    private Gathered _gathered = new();
    private CancellationTokenSource? _stopping;
    private Task? _loop;

    /// <summary>Whether views are counted.</summary>
    public bool Enabled => options.Enabled;

    /// <summary>Impressions gathered since the silo started (the analytics benchmark reads it).</summary>
    public long ImpressionsCounted => Interlocked.Read(ref _impressions);

    private long _impressions;

    /// <summary>The viewer was shown the post today for the first time.</summary>
    public void Impression(Guid post, long author, long viewer)
    {
        var hour = Hour();
        lock (_gate)
        {
            _gathered.Post(post, hour).Impressions++;
            _gathered.Account(author, hour).Impressions++;
            Reach.Add(_gathered.PostReach(post), viewer);
            Reach.Add(_gathered.AccountReach(author, DateOnly.FromDateTime(hour.UtcDateTime)), viewer);
        }

        Interlocked.Increment(ref _impressions);
    }

    /// <summary>A viewer visited the account's profile today for the first time (from one of its posts, when <paramref name="viaPost"/>).</summary>
    public void ProfileVisit(long account, Guid? viaPost)
    {
        var hour = Hour();
        lock (_gate)
        {
            _gathered.Account(account, hour).ProfileVisits++;
            if (viaPost is { } post)
            {
                _gathered.Post(post, hour).ProfileVisits++;
            }
        }
    }

    /// <summary>A viewer followed a link of the post today for the first time.</summary>
    public void LinkClick(Guid post)
    {
        var hour = Hour();
        lock (_gate)
        {
            _gathered.Post(post, hour).LinkClicks++;
        }
    }

    /// <summary>The account gained (or lost) a follower.</summary>
    public void Follower(long account, bool gained)
    {
        var hour = Hour();
        lock (_gate)
        {
            var counts = _gathered.Account(account, hour);
            if (gained)
            {
                counts.FollowersGained++;
            }
            else
            {
                counts.FollowersLost++;
            }
        }
    }

    /// <summary>Today (UTC), the day a ledger counts.</summary>
    public DateOnly Today() => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>The viewer's ledger of today.</summary>
    public Task<ViewLedger> LoadLedgerAsync(long viewer) => ViewLedger.LoadAsync(db, viewer, Today());

    /// <summary>Writes the viewer's ledger if it changed.</summary>
    public Task SaveLedgerAsync(ViewLedger ledger, long viewer)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger.SaveAsync(db, viewer);
    }

    private DateTimeOffset Hour()
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Writes what was gathered so far (tests call it rather than wait for the interval).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Gathered batch;
        lock (_gate)
        {
            (batch, _gathered) = (_gathered, new Gathered());
        }

        if (batch.IsEmpty)
        {
            return;
        }

        try
        {
            await WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning(e, "Analytics were not written; they are kept for the next write.");
            lock (_gate)
            {
                _gathered.Absorb(batch);
            }
        }
    }

    // Rows in key order, so that two silos writing the same rows lock them in the same order.
    private async Task WriteAsync(Gathered batch, CancellationToken cancellationToken)
    {
        var posts = batch.Posts.OrderBy(p => p.Key.Post).ThenBy(p => p.Key.Hour).ToArray();
        var accounts = batch.Accounts.OrderBy(a => a.Key.Account).ThenBy(a => a.Key.Hour).ToArray();
        var postReach = batch.PostSketches.OrderBy(p => p.Key).ToArray();
        var accountReach = batch.AccountSketches.OrderBy(a => a.Key.Account).ThenBy(a => a.Key.Day).ToArray();
        await using var connection = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var write = new NpgsqlBatch(connection, tx);

        // Rows of posts and accounts deleted meanwhile are skipped, not failed.
        var postRows = new NpgsqlBatchCommand("""
            INSERT INTO post_stats_hourly (post_id, hour, impressions, profile_visits, link_clicks)
            SELECT t.* FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[]) AS t(post_id, hour, i, v, c)
            WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = t.post_id)
            ON CONFLICT (post_id, hour) DO UPDATE SET impressions = post_stats_hourly.impressions + excluded.impressions,
                profile_visits = post_stats_hourly.profile_visits + excluded.profile_visits, link_clicks = post_stats_hourly.link_clicks + excluded.link_clicks
            """);
        Add(postRows, posts.Select(p => p.Key.Post).ToArray(), posts.Select(p => p.Key.Hour).ToArray(), posts.Select(p => p.Value.Impressions).ToArray(),
            posts.Select(p => p.Value.ProfileVisits).ToArray(), posts.Select(p => p.Value.LinkClicks).ToArray());
        var accountRows = new NpgsqlBatchCommand("""
            INSERT INTO account_stats_hourly (account_id, hour, impressions, profile_visits, followers_gained, followers_lost)
            SELECT t.* FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS t(account_id, hour, i, v, g, l)
            WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.account_id)
            ON CONFLICT (account_id, hour) DO UPDATE SET impressions = account_stats_hourly.impressions + excluded.impressions,
                profile_visits = account_stats_hourly.profile_visits + excluded.profile_visits,
                followers_gained = account_stats_hourly.followers_gained + excluded.followers_gained,
                followers_lost = account_stats_hourly.followers_lost + excluded.followers_lost
            """);
        Add(accountRows, accounts.Select(a => a.Key.Account).ToArray(), accounts.Select(a => a.Key.Hour).ToArray(), accounts.Select(a => a.Value.Impressions).ToArray(),
            accounts.Select(a => a.Value.ProfileVisits).ToArray(), accounts.Select(a => a.Value.FollowersGained).ToArray(), accounts.Select(a => a.Value.FollowersLost).ToArray());
        var postSketches = new NpgsqlBatchCommand("""
            INSERT INTO post_reach (post_id, registers)
            SELECT t.* FROM unnest($1::uuid[], $2::bytea[]) AS t(post_id, registers)
            WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = t.post_id)
            ON CONFLICT (post_id) DO UPDATE SET registers = hll_union(post_reach.registers, excluded.registers)
            """);
        Add(postSketches, postReach.Select(p => p.Key).ToArray(), postReach.Select(p => p.Value).ToArray());
        var accountSketches = new NpgsqlBatchCommand("""
            INSERT INTO account_reach_daily (account_id, day, registers)
            SELECT t.* FROM unnest($1::bigint[], $2::date[], $3::bytea[]) AS t(account_id, day, registers)
            WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.account_id)
            ON CONFLICT (account_id, day) DO UPDATE SET registers = hll_union(account_reach_daily.registers, excluded.registers)
            """);
        Add(accountSketches, accountReach.Select(a => a.Key.Account).ToArray(), accountReach.Select(a => a.Key.Day).ToArray(), accountReach.Select(a => a.Value).ToArray());
        write.BatchCommands.Add(postRows);
        write.BatchCommands.Add(accountRows);
        write.BatchCommands.Add(postSketches);
        write.BatchCommands.Add(accountSketches);
        await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Add(NpgsqlBatchCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);

        // Started with the application's services, stopped after the grains (which count into it) were deactivated.
        lifecycle.Subscribe(nameof(AnalyticsBuffer), ServiceLifecycleStage.ApplicationServices, Start, StopAsync);
    }

    private Task Start(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task LoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await FlushAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await (_loop ?? Task.CompletedTask).ConfigureAwait(false);
            _stopping.Dispose();
        }

        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private sealed class Counts
    {
        public long Impressions;
        public long ProfileVisits;
        public long LinkClicks;
        public long FollowersGained;
        public long FollowersLost;

        public void Add(Counts other)
        {
            Impressions += other.Impressions;
            ProfileVisits += other.ProfileVisits;
            LinkClicks += other.LinkClicks;
            FollowersGained += other.FollowersGained;
            FollowersLost += other.FollowersLost;
        }
    }

    private sealed class Gathered
    {
        public Dictionary<(Guid Post, DateTimeOffset Hour), Counts> Posts { get; } = [];
        public Dictionary<(long Account, DateTimeOffset Hour), Counts> Accounts { get; } = [];
        public Dictionary<Guid, byte[]> PostSketches { get; } = [];
        public Dictionary<(long Account, DateOnly Day), byte[]> AccountSketches { get; } = [];

        public bool IsEmpty => Posts.Count == 0 && Accounts.Count == 0 && PostSketches.Count == 0 && AccountSketches.Count == 0;

        public Counts Post(Guid post, DateTimeOffset hour) => Get(Posts, (post, hour));

        public Counts Account(long account, DateTimeOffset hour) => Get(Accounts, (account, hour));

        public byte[] PostReach(Guid post) => Sketch(PostSketches, post);

        public byte[] AccountReach(long account, DateOnly day) => Sketch(AccountSketches, (account, day));

        public void Absorb(Gathered other)
        {
            foreach (var (key, counts) in other.Posts)
            {
                Get(Posts, key).Add(counts);
            }

            foreach (var (key, counts) in other.Accounts)
            {
                Get(Accounts, key).Add(counts);
            }

            foreach (var (key, sketch) in other.PostSketches)
            {
                Reach.Union(Sketch(PostSketches, key), sketch);
            }

            foreach (var (key, sketch) in other.AccountSketches)
            {
                Reach.Union(Sketch(AccountSketches, key), sketch);
            }
        }

        private static Counts Get<TKey>(Dictionary<TKey, Counts> map, TKey key) where TKey : notnull
        {
            if (!map.TryGetValue(key, out var counts))
            {
                map[key] = counts = new Counts();
            }

            return counts;
        }

        private static byte[] Sketch<TKey>(Dictionary<TKey, byte[]> map, TKey key) where TKey : notnull
        {
            if (!map.TryGetValue(key, out var sketch))
            {
                map[key] = sketch = new byte[Reach.Size];
            }

            return sketch;
        }
    }
}
