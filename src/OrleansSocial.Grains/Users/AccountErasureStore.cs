using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>Where an erasure is, as its grain reads it.</summary>
public sealed record ErasureRow(DateTimeOffset EraseAfter, bool Cancelled, bool Started, string Step, long[] PendingRecount, bool Finished);

/// <summary>
/// The SQL of an account's deletion (<see cref="AccountErasureGrain"/>): deactivating and restoring it, and the erasure's
/// steps. Every step is idempotent — it finds what is left and removes some of it — so a step repeated after a crash
/// does no harm.
/// </summary>
public sealed class AccountErasureStore(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>The order the erasure runs in; each step repeats until it finds nothing left.</summary>
    public static readonly string[] Steps = ["engagement", "posts", "stories", "relationships", "personal_data", "placeholder", "done"];

    /// <summary>Deactivates the account, revokes its sessions and schedules the erasure, in one transaction; false when it is deactivated or erased already.</summary>
    public async Task<bool> RequestAsync(long account, DateTimeOffset eraseAfter)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var deactivate = new NpgsqlCommand(
            "UPDATE accounts SET deactivated_at = $2 WHERE id = $1 AND deactivated_at IS NULL AND erased_at IS NULL", connection, tx))
        {
            deactivate.Parameters.Add(new NpgsqlParameter { Value = account });
            deactivate.Parameters.Add(new NpgsqlParameter { Value = now });
            if (await deactivate.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await using var batch = new NpgsqlBatch(connection, tx);
        var revoke = new NpgsqlBatchCommand("UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL");
        revoke.Parameters.Add(new NpgsqlParameter { Value = account });
        revoke.Parameters.Add(new NpgsqlParameter { Value = now });
        var schedule = new NpgsqlBatchCommand("""
            INSERT INTO account_erasures (account_id, requested_at, erase_after) VALUES ($1, $2, $3)
            ON CONFLICT (account_id) DO UPDATE SET requested_at = excluded.requested_at, erase_after = excluded.erase_after,
                cancelled_at = NULL, started_at = NULL, step = 'engagement', pending_recount = '{}', finished_at = NULL
            """);
        schedule.Parameters.Add(new NpgsqlParameter { Value = account });
        schedule.Parameters.Add(new NpgsqlParameter { Value = now });
        schedule.Parameters.Add(new NpgsqlParameter { Value = eraseAfter });
        batch.BatchCommands.Add(revoke);
        batch.BatchCommands.Add(schedule);
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Restores the account if its erasure has not started; false otherwise.</summary>
    public async Task<bool> CancelAsync(long account)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var cancel = new NpgsqlCommand("""
            UPDATE account_erasures SET cancelled_at = $2 WHERE account_id = $1 AND cancelled_at IS NULL AND started_at IS NULL AND finished_at IS NULL
            """, connection, tx))
        {
            cancel.Parameters.Add(new NpgsqlParameter { Value = account });
            cancel.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            if (await cancel.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await using (var restore = new NpgsqlCommand("UPDATE accounts SET deactivated_at = NULL WHERE id = $1", connection, tx))
        {
            restore.Parameters.Add(new NpgsqlParameter { Value = account });
            await restore.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    public async Task<ErasureRow?> GetAsync(long account)
    {
        await using var command = db.CreateCommand("""
            SELECT erase_after, cancelled_at IS NOT NULL, started_at IS NOT NULL, step, pending_recount, finished_at IS NOT NULL
            FROM account_erasures WHERE account_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false)
            ? new ErasureRow(r.GetFieldValue<DateTimeOffset>(0), r.GetBoolean(1), r.GetBoolean(2), r.GetString(3), r.GetFieldValue<long[]>(4), r.GetBoolean(5))
            : null;
    }

    /// <summary>Marks the erasure started (from now on signing in cannot cancel it); false when it is cancelled or not yet due.</summary>
    public async Task<bool> StartAsync(long account)
    {
        await using var command = db.CreateCommand("""
            UPDATE account_erasures SET started_at = coalesce(started_at, $2)
            WHERE account_id = $1 AND cancelled_at IS NULL AND finished_at IS NULL AND erase_after <= $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 1;
    }

    public async Task SetStepAsync(long account, string step)
    {
        await using var command = db.CreateCommand("UPDATE account_erasures SET step = $2 WHERE account_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = step });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Accounts holding unread notifications the account caused: their unread counts change when it is hidden, shown again or erased.</summary>
    public async Task<long[]> NotifiedAsync(long account)
    {
        await using var command = db.CreateCommand("""
            SELECT DISTINCT recipient_id FROM notifications WHERE actor_id = $1 AND recipient_id <> $1 AND read_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        return await ReadAsync<long>(command).ConfigureAwait(false);
    }

    /// <summary>Posts the account liked, reposted, bookmarked or commented on, or whose comments it liked (some of them).</summary>
    public async Task<Guid[]> EngagedPostsAsync(long account, int limit)
    {
        await using var command = db.CreateCommand("""
            SELECT post_id FROM (
                SELECT post_id FROM likes WHERE account_id = $1
                UNION SELECT post_id FROM reposts WHERE account_id = $1
                UNION SELECT post_id FROM bookmarks WHERE account_id = $1
                UNION SELECT post_id FROM comments WHERE author_id = $1 AND deleted_at IS NULL
                UNION SELECT c.post_id FROM comment_likes l JOIN comments c ON c.id = l.comment_id WHERE l.account_id = $1) engaged
            LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync<Guid>(command).ConfigureAwait(false);
    }

    /// <summary>
    /// What a post's grain left of the account's engagement with these posts (it could not see the post, say): removed
    /// here, the posts' counters marked for a recount. Makes sure each batch leaves nothing behind.
    /// </summary>
    public async Task ForgetEngagementAsync(long account, Guid[] posts)
    {
        await using var batch = db.CreateBatch();
        Add(batch, [
            "DELETE FROM likes WHERE account_id = $1 AND post_id = ANY($2)",
            "DELETE FROM reposts WHERE account_id = $1 AND post_id = ANY($2)",
            "DELETE FROM bookmarks WHERE account_id = $1 AND post_id = ANY($2)",
            "UPDATE comments SET deleted_at = now() WHERE author_id = $1 AND post_id = ANY($2) AND deleted_at IS NULL",
            "DELETE FROM comment_likes l USING comments c WHERE l.comment_id = c.id AND l.account_id = $1 AND c.post_id = ANY($2)",
            "UPDATE posts SET counts_open = true WHERE id = ANY($2) AND NOT counts_open",
        ], account, posts);

        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task<Guid[]> LivePostsAsync(long account, int limit)
    {
        await using var command = db.CreateCommand("SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NULL LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync<Guid>(command).ConfigureAwait(false);
    }

    public async Task<Guid[]> LiveStoriesAsync(long account)
    {
        await using var command = db.CreateCommand("SELECT id FROM stories WHERE author_id = $1 AND ended_at IS NULL AND expires_at > $2");
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await ReadAsync<Guid>(command).ConfigureAwait(false);
    }

    /// <summary>Accounts the account follows, is followed by, asked or was asked to follow, blocks or mutes (either way), or lists as close friends (some of them).</summary>
    public async Task<long[]> CounterpartsAsync(long account, int limit)
    {
        await using var command = db.CreateCommand("""
            SELECT other FROM (
                SELECT followee_id AS other FROM follows WHERE follower_id = $1 UNION SELECT follower_id FROM follows WHERE followee_id = $1
                UNION SELECT target_id FROM follow_requests WHERE requester_id = $1 UNION SELECT requester_id FROM follow_requests WHERE target_id = $1
                UNION SELECT blocked_id FROM blocks WHERE blocker_id = $1 UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1
                UNION SELECT muted_id FROM mutes WHERE muter_id = $1 UNION SELECT muter_id FROM mutes WHERE muted_id = $1
                UNION SELECT friend_id FROM close_friends WHERE owner_id = $1 UNION SELECT owner_id FROM close_friends WHERE friend_id = $1) others
            ORDER BY other LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync<long>(command).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes every relationship between the account and <paramref name="others"/> under their locks, marks all their
    /// counters for a recount and records the others as owed a recount — one transaction, so a crash before they hear of
    /// it leaves the debt written (<see cref="ErasureRow.PendingRecount"/>).
    /// </summary>
    public async Task RemoveRelationshipsAsync(long account, long[] others)
    {
        ArgumentNullException.ThrowIfNull(others);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await AccountLocks.LockAsync(tx, shared: false, [account, .. others]).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx);
        Add(batch, [
            "DELETE FROM follows WHERE (follower_id = $1 AND followee_id = ANY($2)) OR (followee_id = $1 AND follower_id = ANY($2))",
            "DELETE FROM follow_requests WHERE (requester_id = $1 AND target_id = ANY($2)) OR (target_id = $1 AND requester_id = ANY($2))",
            "DELETE FROM blocks WHERE (blocker_id = $1 AND blocked_id = ANY($2)) OR (blocked_id = $1 AND blocker_id = ANY($2))",
            "DELETE FROM mutes WHERE (muter_id = $1 AND muted_id = ANY($2)) OR (muted_id = $1 AND muter_id = ANY($2))",
            "DELETE FROM close_friends WHERE (owner_id = $1 AND friend_id = ANY($2)) OR (friend_id = $1 AND owner_id = ANY($2))",
            "UPDATE accounts SET counts_open = true WHERE (id = $1 OR id = ANY($2)) AND NOT counts_open",
            "UPDATE account_erasures SET pending_recount = ARRAY(SELECT DISTINCT unnest(pending_recount || $2)) WHERE account_id = $1",
        ], account, others);

        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>The accounts in <paramref name="told"/> have recounted: no longer owed.</summary>
    public async Task RecountedAsync(long account, long[] told)
    {
        await using var command = db.CreateCommand("""
            UPDATE account_erasures SET pending_recount = ARRAY(SELECT unnest(pending_recount) EXCEPT SELECT unnest($2::bigint[])) WHERE account_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        command.Parameters.Add(new NpgsqlParameter { Value = told });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Everything else that is the account's or about it, in one transaction: sign-in data, notifications it received or
    /// caused, its timeline and followed tags, its views and analytics, mentions of it, its stories and highlights, the
    /// texts of its (deleted) posts and comments with their edits and tags, and its media (marked deleted: the media
    /// sweep removes the blobs, then the rows).
    /// </summary>
    public async Task ErasePersonalDataAsync(long account)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx);
        Add(batch, [
            "DELETE FROM sessions WHERE account_id = $1",
            "DELETE FROM passkeys WHERE account_id = $1",
            "DELETE FROM webauthn_ceremonies WHERE account_id = $1",
            "DELETE FROM totp_secrets WHERE account_id = $1",
            "DELETE FROM backup_codes WHERE account_id = $1",
            "DELETE FROM mfa_challenges WHERE account_id = $1",
            "DELETE FROM email_tokens WHERE account_id = $1",
            "DELETE FROM login_failures WHERE account_id = $1",
            "DELETE FROM notifications WHERE recipient_id = $1 OR actor_id = $1",
            "DELETE FROM notification_preferences WHERE account_id = $1",
            "DELETE FROM timeline_entries WHERE owner_id = $1 OR author_id = $1 OR reposted_by = $1",
            "DELETE FROM tag_follows WHERE account_id = $1",
            "DELETE FROM story_views WHERE viewer_id = $1",
            "DELETE FROM view_ledgers WHERE account_id = $1",
            "DELETE FROM account_stats_hourly WHERE account_id = $1",
            "DELETE FROM account_reach_daily WHERE account_id = $1",
            "DELETE FROM account_activity_days WHERE account_id = $1",
            "DELETE FROM post_mentions WHERE account_id = $1",
            "DELETE FROM post_edits WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
            "DELETE FROM post_tags WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
            "DELETE FROM post_mentions WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
            "DELETE FROM post_stats_hourly WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
            "DELETE FROM post_reach WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1)",
            "UPDATE posts SET text = '', deleted_at = coalesce(deleted_at, now()) WHERE author_id = $1 AND (text <> '' OR deleted_at IS NULL)",
            "UPDATE comments SET text = '', deleted_at = coalesce(deleted_at, now()) WHERE author_id = $1 AND (text <> '' OR deleted_at IS NULL)",
            "UPDATE media SET deleted_at = now() WHERE account_id = $1 AND deleted_at IS NULL",
            "UPDATE accounts SET avatar_media = NULL, header_media = NULL WHERE id = $1",
            "DELETE FROM highlights WHERE owner_id = $1",
            "UPDATE stories SET caption = '', link_url = NULL, ended_at = coalesce(ended_at, now()) WHERE author_id = $1",
        ], account);

        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Leaves the account row as a placeholder with no personal data — the username and address released, no password —
    /// and finishes the erasure, in one transaction.
    /// </summary>
    public async Task LeavePlaceholderAsync(long account)
    {
        await using var batch = db.CreateBatch();
        var placeholder = new NpgsqlBatchCommand("""
            UPDATE accounts SET username = 'deleted-' || id, email = 'deleted-' || id || '@deleted.invalid', password_hash = '',
                display_name = '', bio = '', website = '', email_verified_at = NULL, role = 'user', is_private = true,
                erased_at = coalesce(erased_at, $2), profile_version = profile_version + 1
            WHERE id = $1
            """);
        placeholder.Parameters.Add(new NpgsqlParameter { Value = account });
        placeholder.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        var finish = new NpgsqlBatchCommand("UPDATE account_erasures SET step = 'done', finished_at = coalesce(finished_at, $2) WHERE account_id = $1");
        finish.Parameters.Add(new NpgsqlParameter { Value = account });
        finish.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        batch.BatchCommands.Add(placeholder);
        batch.BatchCommands.Add(finish);
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    // The statements into the batch, each with the same positional parameters.
    private static void Add(NpgsqlBatch batch, string[] statements, params object[] values)
    {
        foreach (var sql in statements)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            batch.BatchCommands.Add(command);
        }
    }

    private static async Task<T[]> ReadAsync<T>(NpgsqlCommand command)
    {
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var list = new List<T>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            list.Add(r.GetFieldValue<T>(0));
        }

        return [.. list];
    }
}
