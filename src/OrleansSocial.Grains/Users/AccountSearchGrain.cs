using Npgsql;
using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

[StatelessWorker]
public sealed class AccountSearchGrain(AccountSearchStore store) : Grain, IAccountSearchGrain
{
    public Task<IReadOnlyList<PublicAccount>> SearchAsync(long viewerId, string query, int limit, int offset) =>
        store.SearchAsync(viewerId, query, limit, offset, CancellationToken.None);
}

/// <summary>The account search query (pg_trgm indexes from <c>sql/0006_account_search.sql</c>).</summary>
public sealed class AccountSearchStore(NpgsqlDataSource db)
{
    public async Task<IReadOnlyList<PublicAccount>> SearchAsync(long viewerId, string query, int limit, int offset, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        var q = query.Trim().TrimStart('@').ToLowerInvariant();
        var prefix = q.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
        await using var command = db.CreateCommand($"""
            SELECT {RelationshipStore.PublicColumns}
            FROM accounts a
            WHERE (lower(a.username) LIKE $2 OR lower(a.display_name) LIKE $2 OR lower(a.username) % $1 OR lower(a.display_name) % $1) AND a.suspended_at IS NULL AND a.deactivated_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = $3 AND b.blocked_id = a.id) OR (b.blocker_id = a.id AND b.blocked_id = $3))
              AND (a.limited_at IS NULL OR a.id = $3 OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $3 AND f.followee_id = a.id))
            ORDER BY (lower(a.username) LIKE $2) DESC, (lower(a.display_name) LIKE $2) DESC,
                     greatest(similarity(lower(a.username), $1), similarity(lower(a.display_name), $1)) DESC, a.id
            LIMIT $4 OFFSET $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = q });
        command.Parameters.Add(new NpgsqlParameter { Value = prefix });
        command.Parameters.Add(new NpgsqlParameter { Value = viewerId });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 40) });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Max(0, offset) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var accounts = new List<PublicAccount>();
        while (await reader.ReadAsync(ct))
        {
            accounts.Add(RelationshipStore.ReadPublic(reader, 0));
        }

        return accounts;
    }
}
