using System.Text;
using Npgsql;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// The outcome of a relationship change: how the actor now stands with the other account and the other with the actor,
/// and what the change did to each account's counters, with its version. <see cref="Notify"/> is the notification the
/// change causes for the other account (a new follow, request or approval).
/// </summary>
public sealed record RelationshipChange(Relationship Relationship, Relationship Mirror, IReadOnlyDictionary<long, CountsChange> Counts, string? Notify = null);

/// <summary>
/// The <c>follows</c>, <c>follow_requests</c>, <c>blocks</c> and <c>mutes</c> tables. Every change runs in one
/// transaction that first takes both accounts' locks (<see cref="AccountLocks"/>), so changes to the same pair are
/// serialized and two opposite changes cannot deadlock, and takes a version the grains use to order what they are told.
/// The accounts' counters are not written here: the user grains keep them (a follow sets <c>counts_open</c>, see
/// <see cref="UserProfileStore"/>).
/// </summary>
public sealed class RelationshipStore(NpgsqlDataSource db, TimeProvider time)
{
    internal const string PublicColumns =
        "a.id, a.username, a.display_name, a.bio, a.website, a.is_private, a.created_at, a.followers_count, a.following_count, a.posts_count";

    public Task<RelationshipChange> FollowAsync(long actor, long target)
    {
        string? notify = null;
        return ChangeAsync(actor, target, async change =>
    {
        await RefuseAcrossBlockAsync(change.Tx, actor, target, "You cannot follow this account.").ConfigureAwait(false);
        if (await ExistsAsync(change.Tx, "SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2", actor, target).ConfigureAwait(false))
        {
            change.Repeated = true;
            return;
        }

        if (change.IsPrivate[target])
        {
            notify = await ExecuteAsync(change.Tx, "INSERT INTO follow_requests (requester_id, target_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", actor, target)
                .ConfigureAwait(false) == 1 ? "follow_request" : null;
            return;
        }

        notify = await change.AddFollowAsync(actor, target).ConfigureAwait(false) ? "follow" : null;
    }, () => notify);
    }

    public Task<RelationshipChange> UnfollowAsync(long actor, long target) => ChangeAsync(actor, target, async change =>
    {
        await ExecuteAsync(change.Tx, "DELETE FROM follow_requests WHERE requester_id = $1 AND target_id = $2", actor, target).ConfigureAwait(false);
        await change.RemoveFollowAsync(actor, target).ConfigureAwait(false);
    });

    public Task<RelationshipChange> BlockAsync(long actor, long target) => ChangeAsync(actor, target, async change =>
    {
        await ExecuteAsync(change.Tx, "INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", actor, target).ConfigureAwait(false);
        await ExecuteAsync(change.Tx, "DELETE FROM follow_requests WHERE (requester_id = $1 AND target_id = $2) OR (requester_id = $2 AND target_id = $1)",
            actor, target).ConfigureAwait(false);
        await change.RemoveFollowAsync(actor, target).ConfigureAwait(false);
        await change.RemoveFollowAsync(target, actor).ConfigureAwait(false);
        await ExecuteAsync(change.Tx, "DELETE FROM close_friends WHERE (owner_id = $1 AND friend_id = $2) OR (owner_id = $2 AND friend_id = $1)",
            actor, target).ConfigureAwait(false);
    });

    public Task<RelationshipChange> UnblockAsync(long actor, long target) => ChangeAsync(actor, target, async change =>
    {
        await ExecuteAsync(change.Tx, "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", actor, target).ConfigureAwait(false);
    });

    public Task<RelationshipChange> MuteAsync(long actor, long target, TimeSpan? duration) => ChangeAsync(actor, target, async change =>
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO mutes (muter_id, muted_id, expires_at) VALUES ($1, $2, $3)
            ON CONFLICT (muter_id, muted_id) DO UPDATE SET expires_at = excluded.expires_at
            """, change.Tx.Connection, change.Tx);
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        command.Parameters.Add(new NpgsqlParameter { Value = duration is { } d ? time.GetUtcNow() + d : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    });

    public Task<RelationshipChange> UnmuteAsync(long actor, long target) => ChangeAsync(actor, target, async change =>
    {
        await ExecuteAsync(change.Tx, "DELETE FROM mutes WHERE muter_id = $1 AND muted_id = $2", actor, target).ConfigureAwait(false);
    });

    /// <summary>The actor approves <paramref name="requester"/>'s request; <see cref="KeyNotFoundException"/> when there is none.</summary>
    public Task<RelationshipChange> AuthorizeAsync(long actor, long requester) => ChangeAsync(actor, requester, async change =>
    {
        if (await ExecuteAsync(change.Tx, "DELETE FROM follow_requests WHERE requester_id = $1 AND target_id = $2", requester, actor).ConfigureAwait(false) == 0)
        {
            throw new KeyNotFoundException("No follow request from this account.");
        }

        await change.AddFollowAsync(requester, actor).ConfigureAwait(false);
    }, () => "follow_approved");

    public Task<RelationshipChange> RejectAsync(long actor, long requester) => ChangeAsync(actor, requester, async change =>
    {
        if (await ExecuteAsync(change.Tx, "DELETE FROM follow_requests WHERE requester_id = $1 AND target_id = $2", requester, actor).ConfigureAwait(false) == 0)
        {
            throw new KeyNotFoundException("No follow request from this account.");
        }
    });

    /// <summary>How <paramref name="viewer"/> stands with each existing account of <paramref name="targets"/>, in their order.</summary>
    public async Task<IReadOnlyList<Relationship>> GetRelationshipsAsync(long viewer, long[] targets, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await RelationshipsAsync(connection, null, viewer, targets, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What each of <paramref name="viewers"/> is to <paramref name="author"/>, in one statement: whether it follows the
    /// author (approved), whether a block stands between them either way, and whether it mutes the author now. The
    /// facts <see cref="OrleansSocial.Posts.VisibilityPolicy"/> decides on, for many viewers at once (live events).
    /// </summary>
    public async Task<Dictionary<long, (bool Follows, bool BlockedEitherWay, bool Muting)>> ViewerFactsAsync(long author, long[] viewers)
    {
        ArgumentNullException.ThrowIfNull(viewers);
        await using var command = db.CreateCommand("""
            SELECT v.id,
                   EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = v.id AND f.followee_id = $1),
                   EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = v.id AND b.blocked_id = $1) OR (b.blocker_id = $1 AND b.blocked_id = v.id)),
                   EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = v.id AND m.muted_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $3))
            FROM unnest($2::bigint[]) AS v(id)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = author });
        command.Parameters.Add(new NpgsqlParameter { Value = viewers });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var facts = new Dictionary<long, (bool, bool, bool)>(viewers.Length);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            facts[reader.GetInt64(0)] = (reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3));
        }

        return facts;
    }

    /// <summary>An account list: rows of <paramref name="table"/> whose <paramref name="ownerColumn"/> is <paramref name="owner"/>, showing the account in <paramref name="otherColumn"/>; accounts blocked either way by <paramref name="viewer"/> are left out.</summary>
    public async Task<IReadOnlyList<AccountListItem>> ListAsync(string table, string ownerColumn, string otherColumn, object owner, long viewer,
        PageQuery page, CancellationToken ct, string? extraCondition = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder();
        var until = table == "mutes" ? "r.expires_at" : "NULL::timestamptz";
        sql.Append("SELECT r.id, ").Append(PublicColumns).Append(", ").Append(until)
            .Append(" FROM ").Append(table).Append(" r JOIN accounts a ON a.id = r.").Append(otherColumn)
            .Append(" WHERE r.").Append(ownerColumn).Append(" = ").Append(Keyset.Parameter(command, owner)).Append(" AND a.suspended_at IS NULL AND a.deactivated_at IS NULL");
        var viewerParameter = Keyset.Parameter(command, viewer);
        if (table != "blocks")
        {
            sql.Append(" AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = ").Append(viewerParameter).Append(" AND b.blocked_id = a.id) OR (b.blocker_id = a.id AND b.blocked_id = ")
                .Append(viewerParameter).Append("))");
        }

        if (extraCondition is not null)
        {
            sql.Append(" AND ").Append(extraCondition.Replace("@now", Keyset.Parameter(command, time.GetUtcNow()), StringComparison.Ordinal));
        }

        Keyset.Apply(sql, command, "r.id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<AccountListItem>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add(new AccountListItem(reader.GetInt64(0), ReadPublic(reader, 1), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }

        return Keyset.NewestFirst(rows, page);
    }

    /// <summary>
    /// Puts <paramref name="friends"/> on <paramref name="owner"/>'s close-friends list (those already on it stay): each must
    /// be another existing account with no block between them, and the list holds at most <paramref name="capacity"/>.
    /// <see cref="ArgumentException"/> naming <c>account_ids</c> otherwise, and nothing is added. The owner's grain calls
    /// this one call at a time, so the capacity check and the insert cannot interleave with another of the owner's.
    /// </summary>
    public async Task<int> AddCloseFriendsAsync(long owner, long[] friends, int capacity, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(friends);
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand("""
            SELECT w.id,
                   w.id = $1 AS own,
                   NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = w.id) AS missing,
                   EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = $1 AND b.blocked_id = w.id) OR (b.blocker_id = w.id AND b.blocked_id = $1)) AS blocked
            FROM unnest($2::bigint[]) w(id)
            """, connection, tx))
        {
            check.Parameters.Add(new NpgsqlParameter { Value = owner });
            check.Parameters.Add(new NpgsqlParameter { Value = friends });
            await using var r = await check.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = r.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (r.GetBoolean(1))
                {
                    throw new ArgumentException("You cannot put yourself on your close friends list.", "account_ids");
                }

                if (r.GetBoolean(2) || r.GetBoolean(3))
                {
                    throw new ArgumentException($"There is no account {id} you can put on your close friends list.", "account_ids");
                }
            }
        }

        await using var insert = new NpgsqlCommand("""
            WITH added AS (
                INSERT INTO close_friends (owner_id, friend_id) SELECT $1, id FROM unnest($2::bigint[]) f(id) ON CONFLICT DO NOTHING RETURNING 1)
            SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM close_friends WHERE owner_id = $1) + (SELECT count(*) FROM added)
            """, connection, tx);
        insert.Parameters.Add(new NpgsqlParameter { Value = owner });
        insert.Parameters.Add(new NpgsqlParameter { Value = friends });
        int added;
        long total;
        await using (var r = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            (added, total) = ((int)r.GetInt64(0), r.GetInt64(1));
        }

        if (total > capacity)
        {
            throw new ArgumentException($"A close friends list holds at most {capacity} accounts.", "account_ids");
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return added;
    }

    /// <summary>Everyone on <paramref name="owner"/>'s close-friends list.</summary>
    public async Task<HashSet<long>> CloseFriendIdsAsync(long owner, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT friend_id FROM close_friends WHERE owner_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ids = new HashSet<long>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(r.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Takes <paramref name="friends"/> off <paramref name="owner"/>'s close-friends list; how many were on it.</summary>
    public async Task<int> RemoveCloseFriendsAsync(long owner, long[] friends, CancellationToken ct)
    {
        await using var command = db.CreateCommand("DELETE FROM close_friends WHERE owner_id = $1 AND friend_id = ANY($2)");
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = friends });
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    internal static PublicAccount ReadPublic(NpgsqlDataReader r, int at) => new(
        r.GetInt64(at), r.GetString(at + 1), r.GetString(at + 2), r.GetString(at + 3), r.GetString(at + 4), r.GetBoolean(at + 5),
        r.GetFieldValue<DateTimeOffset>(at + 6), r.GetInt64(at + 7), r.GetInt64(at + 8), r.GetInt64(at + 9));

    private async Task<RelationshipChange> ChangeAsync(long actor, long other, Func<Change, Task> change, Func<string?>? notify = null)
    {
        if (actor == other)
        {
            throw new ArgumentException("That is your own account.", "id");
        }

        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await AccountLocks.LockAsync(tx, shared: false, actor, other).ConfigureAwait(false);
        var accounts = new Dictionary<long, bool>();
        // A suspended or deleted account's relationships are frozen: for changing them it does not exist.
        await using (var read = new NpgsqlCommand("SELECT id, is_private FROM accounts WHERE id = ANY($1) AND suspended_at IS NULL AND deactivated_at IS NULL", connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = new[] { actor, other } });
            await using var reader = await read.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                accounts[reader.GetInt64(0)] = reader.GetBoolean(1);
            }
        }

        if (!accounts.ContainsKey(other) || !accounts.ContainsKey(actor))
        {
            throw new KeyNotFoundException("No such account.");
        }

        var made = new Change(tx, accounts);
        await change(made).ConfigureAwait(false);
        var moved = made.Moves.Where(m => m.Value != (0, 0)).Select(m => m.Key).ToArray();
        if (moved.Length > 0)
        {
            await using var open = new NpgsqlCommand(AccountLocks.OpenCounts, connection, tx);
            open.Parameters.Add(new NpgsqlParameter { Value = moved });
            await open.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        long version;
        await using (var next = new NpgsqlCommand($"SELECT {AccountLocks.NextVersion}", connection, tx))
        {
            version = (long)(await next.ExecuteScalarAsync().ConfigureAwait(false))!;
        }

        var relationship = (await RelationshipsAsync(connection, tx, actor, [other], CancellationToken.None).ConfigureAwait(false))[0];
        var mirror = (await RelationshipsAsync(connection, tx, other, [actor], CancellationToken.None).ConfigureAwait(false))[0];
        await tx.CommitAsync().ConfigureAwait(false);
        var counts = new[] { actor, other }.ToDictionary(id => id, id =>
        {
            var (followers, following) = made.Moves.GetValueOrDefault(id);
            return new CountsChange(followers, following, 0, version) { Recount = made.Repeated && (followers, following) == (0, 0) };
        });
        return new RelationshipChange(relationship, mirror, counts, notify?.Invoke());
    }

    // A change in progress: its transaction, whether each account is private, and how it moved each one's counters.
    private sealed class Change(NpgsqlTransaction tx, Dictionary<long, bool> isPrivate)
    {
        public NpgsqlTransaction Tx { get; } = tx;

        public Dictionary<long, bool> IsPrivate { get; } = isPrivate;

        public Dictionary<long, (long Followers, long Following)> Moves { get; } = [];

        // A follow or unfollow found its row already as asked (a retry, most likely, whose first notice may be lost).
        public bool Repeated { get; set; }

        public async Task<bool> AddFollowAsync(long follower, long followee)
        {
            if (await ExecuteAsync(Tx, "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", follower, followee)
                    .ConfigureAwait(false) == 0)
            {
                Repeated = true;
                return false;
            }

            Move(follower, followee, 1);
            return true;
        }

        public async Task RemoveFollowAsync(long follower, long followee)
        {
            if (await ExecuteAsync(Tx, "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2", follower, followee).ConfigureAwait(false) == 1)
            {
                Move(follower, followee, -1);
            }
            else
            {
                Repeated = true;
            }
        }

        private void Move(long follower, long followee, int delta)
        {
            var (a, b) = (Moves.GetValueOrDefault(follower), Moves.GetValueOrDefault(followee));
            Moves[follower] = (a.Followers, a.Following + delta);
            Moves[followee] = (b.Followers + delta, b.Following);
        }
    }

    private static async Task RefuseAcrossBlockAsync(NpgsqlTransaction tx, long actor, long target, string message)
    {
        if (await ExistsAsync(tx, "SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)", actor, target)
            .ConfigureAwait(false))
        {
            throw new RelationshipRefusedException(message);
        }
    }

    /// <summary>
    /// Everything <paramref name="account"/>'s relationship summary holds (followees, blocks both ways, current mutes)
    /// and the version it is current to (<see cref="AccountLocks"/>), read under the account's lock; null for no account.
    /// </summary>
    public async Task<(long Version, IReadOnlyList<RelationRow> Rows)?> LoadSummaryAsync(long account, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var read = new NpgsqlBatchCommand($"""
            SELECT {AccountLocks.CurrentVersion}, r.kind, r.other, r.until
            FROM accounts a
            LEFT JOIN LATERAL (
                SELECT 0 AS kind, followee_id AS other, NULL::timestamptz AS until FROM follows WHERE follower_id = a.id
                UNION ALL SELECT 1, blocked_id, NULL FROM blocks WHERE blocker_id = a.id
                UNION ALL SELECT 2, blocker_id, NULL FROM blocks WHERE blocked_id = a.id
                UNION ALL SELECT 3, muted_id, expires_at FROM mutes WHERE muter_id = a.id AND (expires_at IS NULL OR expires_at > $2)
            ) r ON true
            WHERE a.id = $1
            """);
        read.Parameters.Add(new NpgsqlParameter { Value = account });
        read.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        long? version = null;
        var rows = new List<RelationRow>();
        await AccountLocks.ReadLockedAsync(tx, account, read, async (reader, token) =>
        {
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                version = reader.GetInt64(0);
                if (!reader.IsDBNull(1))
                {
                    rows.Add(new RelationRow((RelationKind)reader.GetInt32(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
                }
            }

            return true;
        }, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return version is { } v ? (v, rows) : null;
    }

    private async Task<IReadOnlyList<Relationship>> RelationshipsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, long viewer, long[] targets,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT t.id,
                   EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = t.id),
                   EXISTS (SELECT 1 FROM follows WHERE follower_id = t.id AND followee_id = $1),
                   EXISTS (SELECT 1 FROM follow_requests WHERE requester_id = $1 AND target_id = t.id),
                   EXISTS (SELECT 1 FROM follow_requests WHERE requester_id = t.id AND target_id = $1),
                   EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = t.id),
                   EXISTS (SELECT 1 FROM blocks WHERE blocker_id = t.id AND blocked_id = $1),
                   m.muted_id IS NOT NULL,
                   m.expires_at
            FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, n)
            JOIN accounts a ON a.id = t.id
            LEFT JOIN mutes m ON m.muter_id = $1 AND m.muted_id = t.id AND (m.expires_at IS NULL OR m.expires_at > $3)
            ORDER BY t.n
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        command.Parameters.Add(new NpgsqlParameter { Value = targets });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<Relationship>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new Relationship(reader.GetInt64(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4),
                reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return list;
    }

    private static async Task<bool> ExistsAsync(NpgsqlTransaction tx, string sql, long a, long b)
    {
        await using var command = new NpgsqlCommand(sql, tx.Connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = a });
        command.Parameters.Add(new NpgsqlParameter { Value = b });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) is not null;
    }

    private static async Task<int> ExecuteAsync(NpgsqlTransaction tx, string sql, long a, long b)
    {
        await using var command = new NpgsqlCommand(sql, tx.Connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = a });
        command.Parameters.Add(new NpgsqlParameter { Value = b });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
