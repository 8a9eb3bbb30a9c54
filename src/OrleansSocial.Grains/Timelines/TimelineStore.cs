using System.Text;
using Npgsql;
using OrleansSocial.Grains.Posts;
using OrleansSocial.Grains.Users;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Timelines;

/// <summary>Who a fan-out writes to: an account's followers, or the followers of some hashtags.</summary>
public abstract record FanoutAudience
{
    private FanoutAudience()
    {
    }

    public sealed record FollowersOf(long AccountId) : FanoutAudience;

    public sealed record TagFollowers(IReadOnlyList<string> Tags) : FanoutAudience;
}

/// <summary>
/// The <c>timeline_entries</c> table (home timelines filled on write, trimmed by their grains, rebuilt for returning
/// accounts) and the queries of the other feeds: profile, hashtag, search, thread.
/// </summary>
public sealed class TimelineStore(NpgsqlDataSource db, TimeProvider time) : IAsyncDisposable
{
    private readonly FannedOutWriter _fannedOut = new(db);

    private const string EntryColumns = "seq, post_id, author_id, reposted_by";

    /// <summary>The newest entries of an account's timeline and when the account was last active; null for no account.</summary>
    public async Task<(List<TimelineEntry> Entries, DateTimeOffset LastActive)?> LoadAsync(long owner, int capacity)
    {
        await using var command = db.CreateCommand($"""
            SELECT a.last_active_at, e.seq, e.post_id, e.author_id, e.reposted_by
            FROM accounts a
            LEFT JOIN LATERAL (SELECT {EntryColumns} FROM timeline_entries WHERE owner_id = a.id ORDER BY seq DESC LIMIT $2) e ON true
            WHERE a.id = $1
            ORDER BY e.seq DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = capacity });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var entries = new List<TimelineEntry>();
        DateTimeOffset? lastActive = null;
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            lastActive = r.GetFieldValue<DateTimeOffset>(0);
            if (!r.IsDBNull(1))
            {
                entries.Add(ReadEntry(r, 1));
            }
        }

        return lastActive is { } at ? (entries, at) : null;
    }

    /// <summary>
    /// Writes an account's timeline afresh from the tables — its own posts, the posts and reposts of the accounts it
    /// follows, the public posts of the hashtags it follows — newest <paramref name="capacity"/>, and marks it active.
    /// </summary>
    public async Task RebuildAsync(long owner, int capacity)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx);
        var clear = new NpgsqlBatchCommand("DELETE FROM timeline_entries WHERE owner_id = $1");
        clear.Parameters.Add(new NpgsqlParameter { Value = owner });
        var fill = new NpgsqlBatchCommand("""
            WITH followees AS (SELECT followee_id AS id FROM follows WHERE follower_id = $1 UNION ALL SELECT $1),
            candidates AS (
                (SELECT p.seq, p.id AS post_id, p.author_id, NULL::bigint AS reposted_by
                 FROM followees f CROSS JOIN LATERAL (
                     SELECT seq, id, author_id FROM posts
                     WHERE author_id = f.id AND deleted_at IS NULL AND (visibility <> 'private' OR author_id = $1)
                     ORDER BY seq DESC LIMIT $2) p)
                UNION ALL
                (SELECT r.seq, r.post_id, p.author_id, r.account_id
                 FROM followees f CROSS JOIN LATERAL (SELECT seq, post_id, account_id FROM reposts WHERE account_id = f.id ORDER BY seq DESC LIMIT $2) r
                 JOIN posts p ON p.id = r.post_id AND p.deleted_at IS NULL)
                UNION ALL
                (SELECT p.seq, p.id, p.author_id, NULL
                 FROM tag_follows tf CROSS JOIN LATERAL (
                     SELECT t.post_seq, t.post_id FROM post_tags t WHERE t.tag = tf.tag ORDER BY t.post_seq DESC LIMIT $2) t
                 JOIN posts p ON p.id = t.post_id AND p.deleted_at IS NULL AND p.visibility = 'public'
                 WHERE tf.account_id = $1))
            INSERT INTO timeline_entries (owner_id, seq, post_id, author_id, reposted_by)
            SELECT $1, seq, post_id, author_id, reposted_by FROM (SELECT DISTINCT ON (seq) * FROM candidates ORDER BY seq DESC) c
            ORDER BY seq DESC LIMIT $2
            ON CONFLICT DO NOTHING
            """);
        fill.Parameters.Add(new NpgsqlParameter { Value = owner });
        fill.Parameters.Add(new NpgsqlParameter { Value = capacity });
        var touch = new NpgsqlBatchCommand(Touch);
        touch.Parameters.Add(new NpgsqlParameter { Value = owner });
        touch.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        batch.BatchCommands.Add(clear);
        batch.BatchCommands.Add(fill);
        batch.BatchCommands.Add(touch);
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the account's entries older than its newest <paramref name="capacity"/>.</summary>
    public async Task TrimAsync(long owner, int capacity)
    {
        await using var command = db.CreateCommand("""
            DELETE FROM timeline_entries WHERE owner_id = $1
              AND seq < (SELECT seq FROM timeline_entries WHERE owner_id = $1 ORDER BY seq DESC OFFSET $2 - 1 LIMIT 1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = capacity });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    // The account was active now: last_active_at, and the day it was active on (for the admins' daily-active count).
    private const string Touch = """
        WITH touched AS (UPDATE accounts SET last_active_at = $2 WHERE id = $1 RETURNING id)
        INSERT INTO account_activity_days (account_id, day) SELECT id, ($2::timestamptz AT TIME ZONE 'UTC')::date FROM touched ON CONFLICT DO NOTHING
        """;

    public async Task TouchAsync(long owner)
    {
        await using var command = db.CreateCommand(Touch);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// One fan-out step: the next <paramref name="batchSize"/> accounts of the audience after <paramref name="cursor"/>
    /// (in id order) get the entry, unless they were inactive since <paramref name="activeSince"/>, mute its author or
    /// reposter, or a block stands between them and its author; a repost of a private account's post goes only to
    /// that account's followers. Returns the batch's last account id (null when the audience is exhausted) and the
    /// accounts whose timeline got the entry.
    /// </summary>
    public async Task<(long? Next, long[] Delivered)> FanoutBatchAsync(TimelineEntry entry, FanoutAudience audience, bool authorIsPrivate,
        long cursor, int batchSize, DateTimeOffset activeSince)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var batch = audience switch
        {
            FanoutAudience.FollowersOf => "SELECT follower_id AS id FROM follows WHERE followee_id = $1 AND follower_id > $2 ORDER BY follower_id LIMIT $3",
            FanoutAudience.TagFollowers => "SELECT DISTINCT account_id AS id FROM tag_follows WHERE tag = ANY($11) AND account_id > $2 ORDER BY account_id LIMIT $3",
            _ => throw new ArgumentOutOfRangeException(nameof(audience)),
        };
        await using var command = db.CreateCommand($"""
            WITH batch AS ({batch}),
            targets AS (
                SELECT b.id FROM batch b JOIN accounts a ON a.id = b.id
                WHERE a.last_active_at > $4
                  AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = b.id AND (m.muted_id = $7 OR m.muted_id = $9)
                                  AND (m.expires_at IS NULL OR m.expires_at > $10))
                  AND NOT EXISTS (SELECT 1 FROM blocks k WHERE (k.blocker_id = b.id AND k.blocked_id = $7) OR (k.blocker_id = $7 AND k.blocked_id = b.id))
                  AND (NOT $8 OR b.id = $7 OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = b.id AND f.followee_id = $7))),
            inserted AS (
                INSERT INTO timeline_entries (owner_id, seq, post_id, author_id, reposted_by)
                SELECT id, $5, $6, $7, $9 FROM targets
                ON CONFLICT DO NOTHING RETURNING owner_id)
            SELECT (SELECT max(id) FROM batch), (SELECT count(*) FROM batch), ARRAY(SELECT owner_id FROM inserted)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = audience is FanoutAudience.FollowersOf f ? f.AccountId : 0L });
        command.Parameters.Add(new NpgsqlParameter { Value = cursor });
        command.Parameters.Add(new NpgsqlParameter { Value = batchSize });
        command.Parameters.Add(new NpgsqlParameter { Value = activeSince });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Key });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.PostId });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.AuthorId });
        command.Parameters.Add(new NpgsqlParameter { Value = authorIsPrivate });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.RepostedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = audience is FanoutAudience.TagFollowers t ? t.Tags.ToArray() : Array.Empty<string>() });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await r.ReadAsync().ConfigureAwait(false);
        var next = r.IsDBNull(0) || r.GetInt64(1) < batchSize ? (long?)null : r.GetInt64(0);
        return (next, r.GetFieldValue<long[]>(2));
    }

    /// <summary>Writes one entry into one account's timeline (the author's own); true when it was not there yet.</summary>
    public async Task<bool> InsertAsync(long owner, TimelineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var command = db.CreateCommand("""
            INSERT INTO timeline_entries (owner_id, seq, post_id, author_id, reposted_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Key });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.PostId });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.AuthorId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.RepostedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 1;
    }

    /// <summary>Removes a deleted post's entries (or only the repost by <paramref name="repostedBy"/>) from every timeline; returns whose.</summary>
    public async Task<long[]> RemoveAsync(Guid postId, long? repostedBy)
    {
        await using var command = db.CreateCommand("""
            WITH removed AS (DELETE FROM timeline_entries WHERE post_id = $1 AND ($2::bigint IS NULL OR reposted_by = $2) RETURNING owner_id)
            SELECT ARRAY(SELECT DISTINCT owner_id FROM removed)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)repostedBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        return (long[])(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>The accounts whose timeline holds the post.</summary>
    public async Task<long[]> OwnersAsync(Guid postId)
    {
        await using var command = db.CreateCommand("SELECT ARRAY(SELECT DISTINCT owner_id FROM timeline_entries WHERE post_id = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        return (long[])(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>Writes an account's <paramref name="limit"/> newest posts and reposts into the owner's timeline.</summary>
    public async Task MergeAccountAsync(long owner, long account, int limit)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO timeline_entries (owner_id, seq, post_id, author_id, reposted_by)
            SELECT $1, seq, post_id, author_id, reposted_by FROM (
                (SELECT seq, id AS post_id, author_id, NULL::bigint AS reposted_by FROM posts
                 WHERE author_id = $2 AND deleted_at IS NULL AND visibility <> 'private' ORDER BY seq DESC LIMIT $3)
                UNION ALL
                (SELECT r.seq, r.post_id, p.author_id, r.account_id FROM reposts r JOIN posts p ON p.id = r.post_id AND p.deleted_at IS NULL
                 WHERE r.account_id = $2 ORDER BY r.seq DESC LIMIT $3)) c
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a hashtag's <paramref name="limit"/> newest public posts into the owner's timeline.</summary>
    public async Task MergeTagAsync(long owner, string tag, int limit)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO timeline_entries (owner_id, seq, post_id, author_id, reposted_by)
            SELECT $1, p.seq, p.id, p.author_id, NULL FROM post_tags t JOIN posts p ON p.id = t.post_id
            WHERE t.tag = $2 AND p.deleted_at IS NULL AND p.visibility = 'public'
            ORDER BY t.post_seq DESC LIMIT $3
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = tag });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Removes an account's posts and reposts from the owner's timeline.</summary>
    public async Task PurgeAccountAsync(long owner, long account)
    {
        await using var command = db.CreateCommand("DELETE FROM timeline_entries WHERE owner_id = $1 AND (author_id = $2 OR reposted_by = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Those of <paramref name="accounts"/> with more than <paramref name="threshold"/> followers.</summary>
    public async Task<long[]> CelebritiesAsync(IReadOnlyCollection<long> accounts, long threshold)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        if (accounts.Count == 0)
        {
            return [];
        }

        await using var command = db.CreateCommand("SELECT ARRAY(SELECT id FROM accounts WHERE id = ANY($1) AND followers_count > $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = accounts.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = threshold });
        return (long[])(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>An account's posts and (unless excluded) reposts, newest first, keyset on the entry key.</summary>
    public async Task<List<TimelineEntry>> AccountEntriesAsync(long account, PageQuery page, bool excludeReposts, bool onlyMedia = false)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var id = Keyset.Parameter(command, account);
        var sql = new StringBuilder("SELECT * FROM (SELECT seq, id AS post_id, author_id, NULL::bigint AS reposted_by FROM posts WHERE author_id = ")
            .Append(id).Append(" AND deleted_at IS NULL");
        if (onlyMedia)
        {
            sql.Append(" AND media_count > 0"); // the media tab: the account's own posts with attachments (posts_author_media)
        }

        if (!excludeReposts && !onlyMedia)
        {
            sql.Append(" UNION ALL SELECT r.seq, r.post_id, p.author_id, r.account_id FROM reposts r JOIN posts p ON p.id = r.post_id AND p.deleted_at IS NULL WHERE r.account_id = ")
                .Append(id);
        }

        sql.Append(") e WHERE true");
        Keyset.Apply(sql, command, "e.seq", page);
        return await EntriesAsync(command, sql, page).ConfigureAwait(false);
    }

    /// <summary>Public posts carrying the hashtag, newest first, keyset on the post's key.</summary>
    public async Task<List<TimelineEntry>> TagEntriesAsync(string tag, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT t.post_seq AS seq, t.post_id, p.author_id, NULL::bigint FROM post_tags t JOIN posts p ON p.id = t.post_id ")
            .Append("WHERE p.deleted_at IS NULL AND p.visibility = 'public' AND t.tag = ").Append(Keyset.Parameter(command, tag));
        Keyset.Apply(sql, command, "t.post_seq", page);
        return await EntriesAsync(command, sql, page).ConfigureAwait(false);
    }

    /// <summary>
    /// Posts matching a web-search style query (English stemming; quotes, OR and - work, anything else is plain text)
    /// that the viewer may see by the visibility rules, newest first (keyset) or best match first (offset).
    /// </summary>
    public async Task<List<TimelineEntry>> SearchAsync(string query, long viewer, bool bestMatch, PageQuery page, int offset)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var q = Keyset.Parameter(command, query);
        var v = Keyset.Parameter(command, viewer);
        var sql = new StringBuilder("SELECT p.seq, p.id, p.author_id, NULL::bigint FROM posts p JOIN accounts a ON a.id = p.author_id WHERE p.search @@ websearch_to_tsquery('english', ")
            .Append(q).Append(") AND ").Append(VisibilitySql.CanView("p", "a", v));
        if (!bestMatch)
        {
            Keyset.Apply(sql, command, "p.seq", page);
            return await EntriesAsync(command, sql, page).ConfigureAwait(false);
        }

        sql.Append(" ORDER BY ts_rank(p.search, websearch_to_tsquery('english', ").Append(q).Append(")) DESC, p.seq DESC LIMIT ")
            .Append(Keyset.Parameter(command, page.Limit)).Append(" OFFSET ").Append(Keyset.Parameter(command, offset));
        return await EntriesAsync(command, sql, new PageQuery(page.Limit)).ConfigureAwait(false);
    }

    /// <summary>
    /// Hashtags starting with <paramref name="prefix"/> on posts <paramref name="viewer"/> may see, most used first, each
    /// with how many of those posts carry it (a tag used only where the viewer cannot look is not listed).
    /// </summary>
    public async Task<IReadOnlyList<TagCount>> TagsAsync(string prefix, long viewer, int limit)
    {
        await using var command = db.CreateCommand($"""
            SELECT t.tag, count(*) FROM post_tags t JOIN posts p ON p.id = t.post_id JOIN accounts a ON a.id = p.author_id
            WHERE t.tag LIKE $1 ESCAPE '\' AND {VisibilitySql.CanView("p", "a", "$3")}
            GROUP BY t.tag ORDER BY count(*) DESC, t.tag LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%" });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var tags = new List<TagCount>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            tags.Add(new TagCount(r.GetString(0), r.GetInt64(1)));
        }

        return tags;
    }

    /// <summary>Posts quoting <paramref name="postId"/>, oldest first.</summary>
    public async Task<Guid[]> QuotesOfAsync(Guid postId, int limit)
    {
        await using var command = db.CreateCommand("SELECT ARRAY(SELECT id FROM posts WHERE quote_of = $1 AND deleted_at IS NULL ORDER BY seq LIMIT $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return (Guid[])(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>Public posts of public accounts since <paramref name="since"/> with any engagement (from the written-behind counters).</summary>
    public async Task<IReadOnlyList<TrendingCandidate>> TrendingCandidatesAsync(DateTimeOffset since, int limit)
    {
        await using var command = db.CreateCommand("""
            SELECT p.id, p.created_at, p.likes_count, p.comments_count, p.reposts_count
            FROM posts p JOIN accounts a ON a.id = p.author_id
            WHERE p.created_at > $1 AND p.deleted_at IS NULL AND p.visibility = 'public' AND NOT a.is_private AND a.limited_at IS NULL
              AND p.likes_count + p.comments_count + p.reposts_count > 0
            ORDER BY p.likes_count * 2 + p.comments_count * 3 + p.reposts_count * 5 DESC LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var candidates = new List<TrendingCandidate>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            candidates.Add(new TrendingCandidate(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), true));
        }

        return candidates;
    }

    /// <summary>
    /// Hashtags of public posts by public accounts: distinct accounts using each in the 24 hours before <paramref name="now"/>
    /// against their daily average over the six days before that; at least two accounts recently, highest ratio first.
    /// </summary>
    public async Task<IReadOnlyList<TrendingTag>> TrendingTagsAsync(DateTimeOffset now, int limit)
    {
        // Trends are the same for everyone: what an anonymous reader may see (public posts of public accounts).
        await using var command = db.CreateCommand($"""
            WITH uses AS (
                SELECT t.tag, p.author_id, p.created_at > $1 - interval '1 day' AS recent
                FROM posts p JOIN accounts a ON a.id = p.author_id JOIN post_tags t ON t.post_id = p.id
                WHERE p.created_at > $1 - interval '7 days' AND p.created_at <= $1 AND {VisibilitySql.CanView("p", "a", "0")}),
            counted AS (
                SELECT tag, count(DISTINCT author_id) FILTER (WHERE recent) AS accounts,
                       count(DISTINCT author_id) FILTER (WHERE NOT recent) / 6.0 AS baseline
                FROM uses GROUP BY tag)
            SELECT tag, accounts, baseline FROM counted WHERE accounts >= 2
            ORDER BY accounts / greatest(baseline, 1.0) DESC, accounts DESC, tag LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var tags = new List<TrendingTag>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            tags.Add(new TrendingTag(r.GetString(0), r.GetInt64(1), (double)r.GetDecimal(2)));
        }

        return tags;
    }

    /// <summary>
    /// Marks a post's (or a repost's) fan-out finished; fan-outs finishing together are marked in one statement (group
    /// commit), and the task completes once the mark is committed.
    /// </summary>
    public Task MarkFannedOutAsync(Guid postId, long? repostedBy) => _fannedOut.MarkAsync(postId, repostedBy);

    public ValueTask DisposeAsync() => _fannedOut.DisposeAsync();

    /// <summary>The unfinished posts among <paramref name="postIds"/>, and unfinished reposts of them, with when each was made.</summary>
    public async Task<IReadOnlyList<(TimelineEntry Entry, DateTimeOffset At)>> UnfinishedAmongAsync(Guid[] postIds)
    {
        await using var command = db.CreateCommand("""
            SELECT seq, id, author_id, NULL::bigint, created_at FROM posts WHERE id = ANY($1) AND NOT fanned_out
            UNION ALL
            SELECT r.seq, r.post_id, p.author_id, r.account_id, r.created_at FROM reposts r JOIN posts p ON p.id = r.post_id
            WHERE r.post_id = ANY($1) AND NOT r.fanned_out
            ORDER BY created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = postIds });
        return await UnfinishedFromAsync(command).ConfigureAwait(false);
    }

    /// <summary>
    /// Posts and reposts made between <paramref name="from"/> and <paramref name="until"/> whose fan-out did not finish,
    /// oldest first, with when each was made.
    /// </summary>
    public async Task<IReadOnlyList<(TimelineEntry Entry, DateTimeOffset At)>> UnfinishedAsync(DateTimeOffset from, DateTimeOffset until, int limit)
    {
        await using var command = db.CreateCommand("""
            SELECT * FROM (
                (SELECT seq, id, author_id, NULL::bigint, created_at FROM posts
                 WHERE NOT fanned_out AND created_at > $1 AND created_at < $2 ORDER BY created_at LIMIT $3)
                UNION ALL
                (SELECT r.seq, r.post_id, p.author_id, r.account_id, r.created_at FROM reposts r JOIN posts p ON p.id = r.post_id
                 WHERE NOT r.fanned_out AND r.created_at > $1 AND r.created_at < $2 ORDER BY r.created_at LIMIT $3)) u
            ORDER BY created_at LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = until });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await UnfinishedFromAsync(command).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<(TimelineEntry Entry, DateTimeOffset At)>> UnfinishedFromAsync(NpgsqlCommand command)
    {
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var entries = new List<(TimelineEntry, DateTimeOffset)>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            entries.Add((ReadEntry(r, 0), r.GetFieldValue<DateTimeOffset>(4)));
        }

        return entries;
    }

    /// <summary>Removes from every timeline the entries of posts deleted since <paramref name="since"/> (a removal that was lost).</summary>
    public async Task<int> PurgeDeletedAsync(DateTimeOffset since)
    {
        await using var command = db.CreateCommand(
            "DELETE FROM timeline_entries te USING posts p WHERE te.post_id = p.id AND p.deleted_at IS NOT NULL AND p.deleted_at > $1");
        command.Parameters.Add(new NpgsqlParameter { Value = since });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Follows a hashtag; true when the account did not follow it yet.</summary>
    public async Task<bool> FollowTagAsync(long account, string tag)
    {
        await using var command = db.CreateCommand("INSERT INTO tag_follows (account_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = tag });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 1;
    }

    public async Task UnfollowTagAsync(long account, string tag)
    {
        await using var command = db.CreateCommand("DELETE FROM tag_follows WHERE account_id = $1 AND tag = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = tag });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<FollowedTag>> FollowedTagsAsync(long account, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT id, tag FROM tag_follows WHERE account_id = ").Append(Keyset.Parameter(command, account));
        Keyset.Apply(sql, command, "id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var tags = new List<FollowedTag>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            tags.Add(new FollowedTag(r.GetInt64(0), r.GetString(1)));
        }

        return Keyset.NewestFirst(tags, page);
    }

    private async Task<List<TimelineEntry>> EntriesAsync(NpgsqlCommand command, StringBuilder sql, PageQuery page)
    {
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var entries = new List<TimelineEntry>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            entries.Add(ReadEntry(r, 0));
        }

        return Keyset.NewestFirst(entries, page);
    }

    private static TimelineEntry ReadEntry(NpgsqlDataReader r, int at) =>
        new(r.GetInt64(at), r.GetGuid(at + 1), r.GetInt64(at + 2), r.IsDBNull(at + 3) ? null : r.GetInt64(at + 3));
}
