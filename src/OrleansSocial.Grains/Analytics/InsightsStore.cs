using Npgsql;
using OrleansSocial.Analytics;

namespace OrleansSocial.Grains.Analytics;

/// <summary>Reads insights from the hourly buckets and reach sketches the silos' <see cref="AnalyticsBuffer"/>s wrote.</summary>
public sealed class InsightsStore(NpgsqlDataSource db)
{
    /// <summary>Most days a post's insights list (its latest).</summary>
    public const int MaxPostDays = 366;

    /// <summary>Posts in an account's top list.</summary>
    public const int TopPosts = 10;

    /// <summary>The post's insights if <paramref name="authorId"/> wrote it and it is not deleted; otherwise null.</summary>
    public async Task<PostInsights?> PostAsync(Guid postId, long authorId, DateOnly today)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        DateOnly posted;
        await using (var owner = new NpgsqlCommand("SELECT created_at FROM posts WHERE id = $1 AND author_id = $2 AND deleted_at IS NULL", connection))
        {
            owner.Parameters.Add(new NpgsqlParameter { Value = postId });
            owner.Parameters.Add(new NpgsqlParameter { Value = authorId });
            if (await owner.ExecuteScalarAsync().ConfigureAwait(false) is not DateTime created)
            {
                return null;
            }

            posted = DateOnly.FromDateTime(created);
        }

        var from = posted < today.AddDays(1 - MaxPostDays) ? today.AddDays(1 - MaxPostDays) : posted;

        // Likes, reposts and bookmarks standing now, by the day they were given; comments not deleted, likewise.
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command("""
            WITH days AS (SELECT d::date AS day FROM generate_series($2::date, $3::date, interval '1 day') AS d),
            s AS (SELECT (hour AT TIME ZONE 'UTC')::date AS day, sum(impressions) AS i, sum(profile_visits) AS v, sum(link_clicks) AS c
                  FROM post_stats_hourly WHERE post_id = $1 GROUP BY 1),
            l AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM likes WHERE post_id = $1 GROUP BY 1),
            c AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM comments WHERE post_id = $1 AND deleted_at IS NULL GROUP BY 1),
            r AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM reposts WHERE post_id = $1 GROUP BY 1),
            b AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM bookmarks WHERE post_id = $1 GROUP BY 1)
            SELECT days.day, coalesce(s.i, 0)::bigint, coalesce(l.n, 0), coalesce(c.n, 0), coalesce(r.n, 0), coalesce(b.n, 0), coalesce(s.v, 0)::bigint, coalesce(s.c, 0)::bigint
            FROM days LEFT JOIN s USING (day) LEFT JOIN l USING (day) LEFT JOIN c USING (day) LEFT JOIN r USING (day) LEFT JOIN b USING (day)
            ORDER BY days.day
            """, postId, from, today));
        batch.BatchCommands.Add(Command(
            "SELECT coalesce(sum(impressions), 0)::bigint, coalesce(sum(profile_visits), 0)::bigint, coalesce(sum(link_clicks), 0)::bigint FROM post_stats_hourly WHERE post_id = $1",
            postId));
        batch.BatchCommands.Add(Command("""
            SELECT (SELECT count(*) FROM likes WHERE post_id = $1), (SELECT count(*) FROM comments WHERE post_id = $1 AND deleted_at IS NULL),
                   (SELECT count(*) FROM reposts WHERE post_id = $1), (SELECT count(*) FROM bookmarks WHERE post_id = $1),
                   (SELECT registers FROM post_reach WHERE post_id = $1)
            """, postId));
        await using var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        var days = new List<PostInsightsDay>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            days.Add(new PostInsightsDay(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7)));
        }

        await reader.NextResultAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        var (impressions, visits, clicks) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        await reader.NextResultAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        var reach = Reach.Estimate(reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4));
        return new PostInsights(postId, impressions, reach, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), visits, clicks, days);
    }

    /// <summary>The account's insights over [from, to] (UTC days).</summary>
    public async Task<AccountInsights> AccountAsync(long accountId, DateOnly from, DateOnly to)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command("""
            WITH days AS (SELECT d::date AS day FROM generate_series($2::date, $3::date, interval '1 day') AS d),
            s AS (SELECT (hour AT TIME ZONE 'UTC')::date AS day, sum(impressions) AS i, sum(profile_visits) AS v, sum(followers_gained) AS g, sum(followers_lost) AS l
                  FROM account_stats_hourly WHERE account_id = $1 AND hour >= $2::date AT TIME ZONE 'UTC' AND hour < ($3::date + 1) AT TIME ZONE 'UTC' GROUP BY 1),
            v AS (SELECT (w.viewed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM stories st JOIN story_views w ON w.story_id = st.id
                  WHERE st.author_id = $1 AND st.created_at >= ($2::date - 1) AT TIME ZONE 'UTC' AND w.viewed_at >= $2::date AT TIME ZONE 'UTC'
                    AND w.viewed_at < ($3::date + 1) AT TIME ZONE 'UTC' AND w.viewer_id <> $1 GROUP BY 1)
            SELECT days.day, coalesce(s.g, 0)::bigint, coalesce(s.l, 0)::bigint, coalesce(s.i, 0)::bigint, coalesce(s.v, 0)::bigint, coalesce(v.n, 0), r.registers
            FROM days LEFT JOIN s USING (day) LEFT JOIN v USING (day)
            LEFT JOIN account_reach_daily r ON r.account_id = $1 AND r.day = days.day
            ORDER BY days.day
            """, accountId, from, to));
        batch.BatchCommands.Add(Command("""
            SELECT p.id, p.text, p.created_at, sum(h.impressions)::bigint, p.likes_count, p.comments_count, p.reposts_count
            FROM post_stats_hourly h JOIN posts p ON p.id = h.post_id
            WHERE p.author_id = $1 AND p.deleted_at IS NULL AND h.hour >= $2::date AT TIME ZONE 'UTC' AND h.hour < ($3::date + 1) AT TIME ZONE 'UTC'
            GROUP BY p.id ORDER BY 4 DESC, p.id LIMIT $4
            """, accountId, from, to, TopPosts));
        batch.BatchCommands.Add(Command("SELECT followers_count FROM accounts WHERE id = $1", accountId));
        await using var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        var days = new List<AccountInsightsDay>();
        var union = new byte[Reach.Size];
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var registers = reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6);
            if (registers is not null)
            {
                Reach.Union(union, registers);
            }

            days.Add(new AccountInsightsDay(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), Reach.Estimate(registers),
                reader.GetInt64(4), reader.GetInt64(5)));
        }

        await reader.NextResultAsync().ConfigureAwait(false);
        var top = new List<TopPost>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            top.Add(new TopPost(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)));
        }

        await reader.NextResultAsync().ConfigureAwait(false);
        var followers = await reader.ReadAsync().ConfigureAwait(false) ? reader.GetInt64(0) : throw new KeyNotFoundException("No such account.");
        return new AccountInsights(from, to, followers, days.Sum(d => d.FollowersGained), days.Sum(d => d.FollowersLost), days.Sum(d => d.Impressions),
            Reach.Estimate(union), days.Sum(d => d.ProfileVisits), days.Sum(d => d.StoryViews), days, top);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
