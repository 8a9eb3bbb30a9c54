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

    /// <summary>A viewer's first visit today to the account's profile (null: not the first), and to it from the post (null: none, or not the first).</summary>
    public void ProfileVisit(long? account, Guid? viaPost)
    {
        var hour = Hour();
        lock (_gate)
        {
            if (account is { } visited)
            {
                _gathered.Account(visited, hour).ProfileVisits++;
            }

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
        write.BatchCommands.Add(postRows);
        write.BatchCommands.Add(accountRows);
        await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await MergePostSketchesAsync(connection, tx, postReach, cancellationToken).ConfigureAwait(false);
        await MergeAccountSketchesAsync(connection, tx, accountReach, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Reach sketches are merged register-wise here rather than in SQL (a register-wise maximum in SQL costs the database a
    // thousand steps a row): the stored rows are locked in key order and read, merged with what this silo gathered, and
    // written back. A row that did not exist yet is inserted; if another silo inserted it meanwhile, the two are merged in
    // SQL (hll_union) — the rare case.
    private static async Task MergePostSketchesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, KeyValuePair<Guid, byte[]>[] sketches,
        CancellationToken cancellationToken)
    {
        if (sketches.Length == 0)
        {
            return;
        }

        var stored = new Dictionary<Guid, byte[]>();
        await using (var read = new NpgsqlCommand("SELECT post_id, registers FROM post_reach WHERE post_id = ANY($1) ORDER BY post_id FOR UPDATE", connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = sketches.Select(p => p.Key).ToArray() });
            await using var r = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                stored[r.GetGuid(0)] = r.GetFieldValue<byte[]>(1);
            }
        }

        var (existing, added) = Split(sketches, stored);
        await using var batch = new NpgsqlBatch(connection, tx);
        var update = new NpgsqlBatchCommand("UPDATE post_reach s SET registers = t.r FROM unnest($1::uuid[], $2::bytea[]) AS t(k, r) WHERE s.post_id = t.k");
        Add(update, existing.Select(e => e.Key).ToArray(), existing.Select(e => e.Value).ToArray());
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO post_reach (post_id, registers) SELECT t.* FROM unnest($1::uuid[], $2::bytea[]) AS t(k, r)
            WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = t.k)
            ON CONFLICT (post_id) DO UPDATE SET registers = hll_union(post_reach.registers, excluded.registers)
            """);
        Add(insert, added.Select(e => e.Key).ToArray(), added.Select(e => e.Value).ToArray());
        batch.BatchCommands.Add(update);
        batch.BatchCommands.Add(insert);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task MergeAccountSketchesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, KeyValuePair<(long Account, DateOnly Day), byte[]>[] sketches,
        CancellationToken cancellationToken)
    {
        if (sketches.Length == 0)
        {
            return;
        }

        var stored = new Dictionary<(long Account, DateOnly Day), byte[]>();
        await using (var read = new NpgsqlCommand("""
            SELECT s.account_id, s.day, s.registers FROM account_reach_daily s JOIN unnest($1::bigint[], $2::date[]) AS t(k, d) ON s.account_id = t.k AND s.day = t.d
            ORDER BY 1, 2 FOR UPDATE OF s
            """, connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = sketches.Select(a => a.Key.Account).ToArray() });
            read.Parameters.Add(new NpgsqlParameter { Value = sketches.Select(a => a.Key.Day).ToArray() });
            await using var r = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                stored[(r.GetInt64(0), r.GetFieldValue<DateOnly>(1))] = r.GetFieldValue<byte[]>(2);
            }
        }

        var (existing, added) = Split(sketches, stored);
        await using var batch = new NpgsqlBatch(connection, tx);
        var update = new NpgsqlBatchCommand("""
            UPDATE account_reach_daily s SET registers = t.r FROM unnest($1::bigint[], $2::date[], $3::bytea[]) AS t(k, d, r) WHERE s.account_id = t.k AND s.day = t.d
            """);
        Add(update, existing.Select(e => e.Key.Account).ToArray(), existing.Select(e => e.Key.Day).ToArray(), existing.Select(e => e.Value).ToArray());
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO account_reach_daily (account_id, day, registers) SELECT t.* FROM unnest($1::bigint[], $2::date[], $3::bytea[]) AS t(k, d, r)
            WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.k)
            ON CONFLICT (account_id, day) DO UPDATE SET registers = hll_union(account_reach_daily.registers, excluded.registers)
            """);
        Add(insert, added.Select(e => e.Key.Account).ToArray(), added.Select(e => e.Key.Day).ToArray(), added.Select(e => e.Value).ToArray());
        batch.BatchCommands.Add(update);
        batch.BatchCommands.Add(insert);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // The gathered sketches whose rows exist (merged with them, in place) and those whose rows are new.
    private static (List<KeyValuePair<TKey, byte[]>> Existing, List<KeyValuePair<TKey, byte[]>> Added) Split<TKey>(KeyValuePair<TKey, byte[]>[] sketches,
        Dictionary<TKey, byte[]> stored) where TKey : notnull
    {
        var (existing, added) = (new List<KeyValuePair<TKey, byte[]>>(), new List<KeyValuePair<TKey, byte[]>>());
        foreach (var sketch in sketches)
        {
            if (stored.TryGetValue(sketch.Key, out var before))
            {
                Reach.Union(sketch.Value, before);
                existing.Add(sketch);
            }
            else
            {
                added.Add(sketch);
            }
        }

        return (existing, added);
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
                try
                {
                    await FlushAsync(stopping).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // one failed write must not end the writing: the next tick tries again
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    logger.LogError(e, "Analytics were not written.");
                }
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
