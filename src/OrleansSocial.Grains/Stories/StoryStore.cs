using Npgsql;
using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Media;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Stories;

/// <summary>A story's row and the attachment it shows.</summary>
public sealed record StoryRecord(Guid Id, long AuthorId, MediaAttachment Media, string Caption, string? LinkUrl, string Audience, DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt, DateTimeOffset? EndedAt, long Views = 0)
{
    public bool LiveAt(DateTimeOffset now) => EndedAt is null && ExpiresAt > now;

    public IReadOnlyList<string> Tags { get; init; } = [];

    public IReadOnlyList<OrleansSocial.Posts.Mention> Mentions { get; init; } = [];

    /// <summary>Whether <see cref="Views"/> was counted from the rows at load (else the grain's stored figure stands).</summary>
    public bool Counted { get; init; }
}

/// <summary>A story's hot figures as its grain keeps them in Orleans grain storage.</summary>
[GenerateSerializer, Immutable, Alias("social.StoryFigures")]
public sealed record StoryFigures([property: Id(0)] long Views);

/// <summary>The <c>stories</c> table (sql/0027) and the story's hold on its media row.</summary>
public sealed class StoryStore(NpgsqlDataSource db)
{
    // Key pair (2, hashint8(author)): one author's story inserts run one at a time, so the limits hold.
    internal const string LockAuthor = "SELECT pg_advisory_xact_lock(2, hashint8($1))";

    /// <summary>
    /// Inserts the story and makes its media the story's, in one transaction under the author's story lock: the media
    /// must be the author's processed, unused upload (a video at most <see cref="StoryOptions.MaxVideoSeconds"/> long), and
    /// the author within <see cref="StoryOptions.MaxLive"/> live stories and <see cref="StoryOptions.MaxPerHour"/> an hour.
    /// </summary>
    public async Task<MediaAttachment> InsertAsync(Guid id, NewStory story, IReadOnlyList<string> tags, IReadOnlyList<OrleansSocial.Posts.Mention> mentions,
        DateTimeOffset now, DateTimeOffset expiresAt, StoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(mentions);
        ArgumentNullException.ThrowIfNull(story);
        ArgumentNullException.ThrowIfNull(options);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var lockAuthor = new NpgsqlCommand(LockAuthor, connection, tx))
        {
            lockAuthor.Parameters.Add(new NpgsqlParameter { Value = story.AuthorId });
            await lockAuthor.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await using (var limits = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM stories WHERE author_id = $1 AND ended_at IS NULL AND expires_at > $2),
                   (SELECT count(*) FROM stories WHERE author_id = $1 AND created_at > $2 - interval '1 hour'),
                   (SELECT min(created_at) FROM stories WHERE author_id = $1 AND created_at > $2 - interval '1 hour')
            """, connection, tx))
        {
            limits.Parameters.Add(new NpgsqlParameter { Value = story.AuthorId });
            limits.Parameters.Add(new NpgsqlParameter { Value = now });
            await using var r = await limits.ExecuteReaderAsync().ConfigureAwait(false);
            await r.ReadAsync().ConfigureAwait(false);
            if (r.GetInt64(0) >= options.MaxLive)
            {
                throw new LimitExceededException($"An account has at most {options.MaxLive} live stories.", TimeSpan.FromMinutes(10));
            }

            if (r.GetInt64(1) >= options.MaxPerHour)
            {
                var oldest = r.GetFieldValue<DateTimeOffset>(2);
                throw new LimitExceededException($"An account posts at most {options.MaxPerHour} stories an hour.", oldest.AddHours(1) - now);
            }
        }

        MediaAttachment? media = null;
        await using (var attach = new NpgsqlCommand($"""
            UPDATE media m SET story_id = $1
            WHERE m.id = $2 AND m.account_id = $3 AND m.purpose = 'attachment' AND m.status = 'ready' AND m.deleted_at IS NULL
              AND m.post_id IS NULL AND m.story_id IS NULL AND (m.type = 'image' OR coalesce(m.duration, 0) <= $4)
            RETURNING {MediaColumns.Attachment}
            """, connection, tx))
        {
            attach.Parameters.Add(new NpgsqlParameter { Value = id });
            attach.Parameters.Add(new NpgsqlParameter { Value = story.MediaId });
            attach.Parameters.Add(new NpgsqlParameter { Value = story.AuthorId });
            attach.Parameters.Add(new NpgsqlParameter { Value = options.MaxVideoSeconds });
            await using var r = await attach.ExecuteReaderAsync().ConfigureAwait(false);
            if (await r.ReadAsync().ConfigureAwait(false))
            {
                media = MediaColumns.ReadAttachment(r);
            }
        }

        if (media is null)
        {
            throw new MediaRefusedException(
                $"media_id names an upload that is not yours, not processed yet, already used, or a video over {options.MaxVideoSeconds:0} seconds.");
        }

        await using (var insert = new NpgsqlCommand("""
            INSERT INTO stories (id, author_id, media_id, caption, link_url, audience, created_at, expires_at, tags, mention_ids)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = story.AuthorId });
            insert.Parameters.Add(new NpgsqlParameter { Value = story.MediaId });
            insert.Parameters.Add(new NpgsqlParameter { Value = story.Caption });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)story.LinkUrl ?? DBNull.Value });
            insert.Parameters.Add(new NpgsqlParameter { Value = story.Audience });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            insert.Parameters.Add(new NpgsqlParameter { Value = expiresAt });
            insert.Parameters.Add(new NpgsqlParameter { Value = tags.ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = mentions.Select(m => m.Id).ToArray() });
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
        return media;
    }

    /// <summary>
    /// The story with its media, or null when there is no such story. Its views are counted (<see cref="StoryRecord.Views"/>,
    /// <see cref="StoryRecord.Counted"/>) when <paramref name="count"/> is set or the row says the stored count is behind
    /// (<c>views_open</c>); otherwise <see cref="StoryRecord.Views"/> is 0 and the grain's stored figure stands.
    /// </summary>
    public async Task<StoryRecord?> LoadAsync(Guid id, bool count)
    {
        await using var command = db.CreateCommand($"""
            SELECT s.author_id, s.caption, s.link_url, s.audience, s.created_at, s.expires_at, s.ended_at,
                   CASE WHEN $2 OR s.views_open THEN (SELECT count(*) FROM story_views v WHERE v.story_id = s.id) END, {Entities}, {MediaColumns.Attachment}
            FROM stories s JOIN media m ON m.id = s.media_id
            WHERE s.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (!await r.ReadAsync().ConfigureAwait(false))
        {
            return null;
        }

        var (tags, mentions) = ReadEntities(r, 8);
        return new StoryRecord(id, r.GetInt64(0), MediaColumns.ReadAttachment(r, 11), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
            r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
            r.IsDBNull(7) ? 0 : r.GetInt64(7))
        {
            Tags = tags,
            Mentions = mentions,
            Counted = !r.IsDBNull(7),
        };
    }

    // A story's hashtags and mentioned accounts (ids and their usernames now, in the caption's order; accounts gone are
    // left out): three columns, read by ReadEntities.
    private const string Entities = """
        s.tags,
        ARRAY(SELECT a.id FROM unnest(s.mention_ids) WITH ORDINALITY u(id, n) JOIN accounts a ON a.id = u.id ORDER BY u.n),
        ARRAY(SELECT a.username FROM unnest(s.mention_ids) WITH ORDINALITY u(id, n) JOIN accounts a ON a.id = u.id ORDER BY u.n)
        """;

    private static (IReadOnlyList<string> Tags, IReadOnlyList<OrleansSocial.Posts.Mention> Mentions) ReadEntities(NpgsqlDataReader r, int at)
    {
        var ids = r.GetFieldValue<long[]>(at + 1);
        var usernames = r.GetFieldValue<string[]>(at + 2);
        return (r.GetFieldValue<string[]>(at), [.. ids.Select((id, i) => new OrleansSocial.Posts.Mention(id, usernames[i]))]);
    }

    /// <summary>
    /// Ends the story (expired, or <paramref name="deleted"/> by its author) and marks its media deleted so the media sweep
    /// removes the blobs — unless an expired story is in a highlight (a deleted one leaves its highlights, and a highlight it leaves empty goes). Idempotent; runs
    /// under the author's story lock, which highlight changes take too, so a story being highlighted keeps its media. The
    /// story's row stays (replies quote it, highlights show it).
    /// </summary>
    public async Task EndAsync(Guid id, long authorId, DateTimeOffset now, bool deleted, bool keepMedia = false)
    {
        await using var batch = db.CreateBatch();
        var lockAuthor = new NpgsqlBatchCommand(LockAuthor);
        lockAuthor.Parameters.Add(new NpgsqlParameter { Value = authorId });
        batch.BatchCommands.Add(lockAuthor);
        var end = new NpgsqlBatchCommand("UPDATE stories SET ended_at = $2, deleted = $3 WHERE id = $1 AND ended_at IS NULL");
        end.Parameters.Add(new NpgsqlParameter { Value = id });
        end.Parameters.Add(new NpgsqlParameter { Value = now });
        end.Parameters.Add(new NpgsqlParameter { Value = deleted });
        batch.BatchCommands.Add(end);
        var unhighlight = new NpgsqlBatchCommand("DELETE FROM highlight_stories WHERE $2 AND story_id = $1");
        unhighlight.Parameters.Add(new NpgsqlParameter { Value = id });
        unhighlight.Parameters.Add(new NpgsqlParameter { Value = deleted });
        batch.BatchCommands.Add(unhighlight);
        var emptied = new NpgsqlBatchCommand("""
            DELETE FROM highlights h WHERE $2 AND h.owner_id = $1 AND NOT EXISTS (SELECT 1 FROM highlight_stories hs WHERE hs.highlight_id = h.id)
            """);
        emptied.Parameters.Add(new NpgsqlParameter { Value = authorId });
        emptied.Parameters.Add(new NpgsqlParameter { Value = deleted });
        batch.BatchCommands.Add(emptied);
        var media = new NpgsqlBatchCommand("""
            UPDATE media SET deleted_at = $2 WHERE story_id = $1 AND deleted_at IS NULL AND NOT $3
              AND NOT EXISTS (SELECT 1 FROM highlight_stories h WHERE h.story_id = $1)
            """);
        media.Parameters.Add(new NpgsqlParameter { Value = id });
        media.Parameters.Add(new NpgsqlParameter { Value = now });
        media.Parameters.Add(new NpgsqlParameter { Value = keepMedia });
        batch.BatchCommands.Add(media);
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>A removed story comes back (an appeal granted) if it would still be live; false otherwise.</summary>
    public async Task<bool> RestoreAsync(Guid id, DateTimeOffset now)
    {
        await using var command = db.CreateCommand("UPDATE stories SET ended_at = NULL, deleted = false WHERE id = $1 AND deleted AND expires_at > $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 1;
    }

    /// <summary>The grain has stored the view count in its state as it deactivates: the rows are no longer ahead of it.</summary>
    public async Task CloseViewsAsync(Guid id)
    {
        await using var command = db.CreateCommand("UPDATE stories SET views_open = false WHERE id = $1 AND views_open");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>How many have viewed the story (the rows).</summary>
    public async Task<long> CountViewsAsync(Guid id)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM story_views WHERE story_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>
    /// Records <paramref name="viewer"/>'s reaction to the story on their view (creating the view if it is their first,
    /// replacing an earlier reaction); true when the view is new.
    /// </summary>
    public async Task<bool> ReactAsync(Guid story, long viewer, string emoji, DateTimeOffset now)
    {
        await using var command = db.CreateCommand("""
            WITH reacted AS (
                INSERT INTO story_views (story_id, viewer_id, viewed_at, reaction) VALUES ($1, $2, $3, $4)
                ON CONFLICT (story_id, viewer_id) DO UPDATE SET reaction = excluded.reaction
                RETURNING xmax = 0 AS added),
            opened AS (UPDATE stories SET views_open = true WHERE id = $1 AND NOT views_open AND (SELECT added FROM reacted))
            SELECT added FROM reacted
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = story });
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = emoji });
        return (bool)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>
    /// The story's viewers, newest first (cursor: the view), each with their reaction — less accounts a block now stands
    /// between them and the author.
    /// </summary>
    public async Task<IReadOnlyList<StoryViewer>> ViewersAsync(Guid story, long author, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new System.Text.StringBuilder("SELECT v.id, ").Append(Users.RelationshipStore.PublicColumns)
            .Append(", v.viewed_at, v.reaction FROM story_views v JOIN accounts a ON a.id = v.viewer_id WHERE v.story_id = ")
            .Append(Users.Keyset.Parameter(command, story));
        var me = Users.Keyset.Parameter(command, author);
        sql.Append(" AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = ").Append(me).Append(" AND b.blocked_id = a.id) OR (b.blocker_id = a.id AND b.blocked_id = ")
            .Append(me).Append("))");
        Users.Keyset.Apply(sql, command, "v.id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var viewers = new List<StoryViewer>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            viewers.Add(new StoryViewer(r.GetInt64(0), Users.RelationshipStore.ReadPublic(r, 1), r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetString(12)));
        }

        return Users.Keyset.NewestFirst(viewers, page);
    }

    /// <summary>
    /// Who a new story of <paramref name="author"/> is announced to, a page at a time by id: its close friends for a
    /// close-friends story, else its followers — less those muting the author.
    /// </summary>
    public async Task<long[]> AudiencePageAsync(long author, string audience, long after, int limit)
    {
        await using var command = db.CreateCommand(audience == StoryAudience.CloseFriends
            ? "SELECT friend_id FROM close_friends c WHERE owner_id = $1 AND friend_id > $2 AND " + NotMuting("c.friend_id") + " ORDER BY friend_id LIMIT $3"
            : "SELECT follower_id FROM follows f WHERE followee_id = $1 AND follower_id > $2 AND " + NotMuting("f.follower_id") + " ORDER BY follower_id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter { Value = author });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var ids = new List<long>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            ids.Add(r.GetInt64(0));
        }

        return [.. ids];
    }

    private static string NotMuting(string reader) =>
        $"NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = {reader} AND m.muted_id = $1 AND (m.expires_at IS NULL OR m.expires_at > now()))";

    /// <summary>Which of <paramref name="stories"/> <paramref name="viewer"/> has viewed.</summary>
    public async Task<HashSet<Guid>> SeenAsync(long viewer, Guid[] stories)
    {
        var seen = new HashSet<Guid>();
        if (stories.Length == 0)
        {
            return seen;
        }

        await using var command = db.CreateCommand("SELECT story_id FROM story_views WHERE viewer_id = $1 AND story_id = ANY($2)");
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        command.Parameters.Add(new NpgsqlParameter { Value = stories });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            seen.Add(r.GetGuid(0));
        }

        return seen;
    }

    /// <summary>The author's live stories, oldest first.</summary>
    public async Task<List<LiveStory>> LiveAsync(long authorId, DateTimeOffset now)
    {
        await using var command = db.CreateCommand($"""
            SELECT s.id, s.created_at, s.expires_at, s.audience, s.caption, s.link_url, {Entities}, {MediaColumns.Attachment}
            FROM stories s JOIN media m ON m.id = s.media_id
            WHERE s.author_id = $1 AND s.ended_at IS NULL AND s.expires_at > $2 ORDER BY s.created_at, s.id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = authorId });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var live = new List<LiveStory>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            var (tags, mentions) = ReadEntities(r, 6);
            live.Add(new LiveStory(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3), MediaColumns.ReadAttachment(r, 9),
                r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5))
            {
                Tags = tags,
                Mentions = mentions,
            });
        }

        return live;
    }
}
