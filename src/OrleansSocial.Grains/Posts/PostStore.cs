using Npgsql;
using OrleansSocial.Media;
using OrleansSocial.Posts;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Posts;

/// <summary>A post row with its entities.</summary>
public sealed record PostRecord(
    Guid Id, long AuthorId, string Text, string Visibility, Guid? QuoteOf, DateTimeOffset CreatedAt, DateTimeOffset? EditedAt, bool Deleted,
    IReadOnlyList<string> Tags, IReadOnlyList<Mention> Mentions, long Seq, IReadOnlyList<MediaAttachment> Media)
{
    /// <summary>A moderator marked its media sensitive.</summary>
    public bool Sensitive { get; init; }

    /// <summary>Held by a keyword filter (it is private meanwhile): the visibility it takes once approved; null when not held.</summary>
    public string? HeldVisibility { get; init; }
}

/// <summary>
/// A post as its grain loads it: the row, its counters, and who liked, reposted, bookmarked it. <c>Stale</c> says the
/// written-behind counter columns disagree with the counted rows (a process died before writing them);
/// <c>CountsOpen</c> that reactions changed since the grain last stored its figures (the counters were counted).
/// </summary>
public sealed record LoadedPost(PostRecord Post, PostCounts Counts, bool Stale, bool CountsOpen, Engagement Likes, Engagement Reposts, Engagement Bookmarks);

/// <summary>One viewer's own flags on a post.</summary>
public readonly record struct ViewerFlags(bool Liked, bool Reposted, bool Bookmarked);

/// <summary>A notification stored in the same statement as the action that caused it.</summary>
public sealed record StoredNotification(long Id, DateTimeOffset CreatedAt);

/// <summary>The <c>posts</c> table and the tables of what people do with posts.</summary>
public sealed class PostStore(NpgsqlDataSource db)
{
    // A post's live comments, replies included: what its comments count counts.
    private const string CountComments = "(SELECT count(*) FROM comments WHERE post_id = p.id AND deleted_at IS NULL)";

    /// <summary>
    /// Inserts the post (and its entities), bumping the author's posts counter, unless the author already created one
    /// with the same idempotency key: then nothing is written and that post's id is returned. The post's media are
    /// attached in the same transaction (<see cref="MediaRefusedException"/>, and nothing written, when any cannot be).
    /// </summary>
    public async Task<(Guid Id, CountsChange? Counts, long Seq, IReadOnlyList<MediaAttachment> Media)> InsertAsync(Guid id, NewPost post, IReadOnlyList<string> tags, IReadOnlyList<Mention> mentions,
        DateTimeOffset now, int maxAttachments, string? heldBy = null)
    {
        ArgumentNullException.ThrowIfNull(post);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        long seq;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO posts (id, author_id, text, visibility, quote_of, idempotency_key, created_at, held_visibility, held_keyword)
            VALUES ($1, $2, $3, CASE WHEN $9::text IS NULL THEN $4 ELSE 'private' END, $5, $6, $7, CASE WHEN $9::text IS NULL THEN NULL ELSE $8 END, $9)
            ON CONFLICT (author_id, idempotency_key) DO NOTHING
            RETURNING seq
            """, connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = post.AuthorId });
            insert.Parameters.Add(new NpgsqlParameter { Value = post.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = post.Visibility });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)post.QuoteOf ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)post.IdempotencyKey ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            insert.Parameters.Add(new NpgsqlParameter { Value = post.Visibility });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)heldBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            if (await insert.ExecuteScalarAsync().ConfigureAwait(false) is not long inserted)
            {
                await using var existing = new NpgsqlCommand("SELECT id FROM posts WHERE author_id = $1 AND idempotency_key = $2", connection, tx);
                existing.Parameters.Add(new NpgsqlParameter { Value = post.AuthorId });
                existing.Parameters.Add(new NpgsqlParameter { Value = post.IdempotencyKey! });
                return ((Guid)(await existing.ExecuteScalarAsync().ConfigureAwait(false))!, null, 0, []);
            }

            seq = inserted;
        }

        var media = await AttachAsync(connection, tx, id, post.AuthorId, post.MediaIds ?? [], maxAttachments).ConfigureAwait(false);
        await WriteEntitiesAsync(connection, tx, id, seq, tags, mentions).ConfigureAwait(false);
        var counts = await MovePostsCountAsync(connection, tx, post.AuthorId, 1).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return (id, counts, seq, media);
    }

    /// <summary>
    /// Makes <paramref name="mediaIds"/> the post's attachments, in that order: each must be the author's processed upload,
    /// unattached or already this post's; images only, or one video or gifv alone. Attachments of the post not listed
    /// are deleted (their blobs go with the media sweep). <see cref="MediaRefusedException"/> otherwise.
    /// </summary>
    private static async Task<IReadOnlyList<MediaAttachment>> AttachAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid postId, long authorId,
        IReadOnlyList<Guid> mediaIds, int maxAttachments)
    {
        if (mediaIds.Distinct().Count() != mediaIds.Count)
        {
            throw new MediaRefusedException("media_ids lists an upload twice.");
        }

        if (mediaIds.Count > maxAttachments)
        {
            throw new MediaRefusedException($"A post has at most {maxAttachments} attachments.");
        }

        int dropped;
        await using (var drop = new NpgsqlCommand("""
            UPDATE media SET deleted_at = now() WHERE post_id = $1 AND deleted_at IS NULL AND NOT (id = ANY($2))
            """, connection, tx))
        {
            drop.Parameters.Add(new NpgsqlParameter { Value = postId });
            drop.Parameters.Add(new NpgsqlParameter { Value = mediaIds.ToArray() });
            dropped = await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        if (mediaIds.Count > 0 || dropped > 0)
        {
            // The profile's media tab reads posts by this count (sql/0025).
            await using var count = new NpgsqlCommand("UPDATE posts SET media_count = $2 WHERE id = $1", connection, tx);
            count.Parameters.Add(new NpgsqlParameter { Value = postId });
            count.Parameters.Add(new NpgsqlParameter { Value = (short)mediaIds.Count });
            await count.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        if (mediaIds.Count == 0)
        {
            return [];
        }

        await using var attach = new NpgsqlCommand($"""
            UPDATE media m SET post_id = $1, position = array_position($3::uuid[], m.id) - 1
            WHERE m.id = ANY($3) AND m.account_id = $2 AND m.purpose = 'attachment' AND m.status = 'ready' AND m.deleted_at IS NULL
              AND m.story_id IS NULL AND (m.post_id IS NULL OR m.post_id = $1)
            RETURNING {MediaColumns.Attachment}, m.position
            """, connection, tx);
        attach.Parameters.Add(new NpgsqlParameter { Value = postId });
        attach.Parameters.Add(new NpgsqlParameter { Value = authorId });
        attach.Parameters.Add(new NpgsqlParameter { Value = mediaIds.ToArray() });
        var attached = new List<(short Position, MediaAttachment Media)>();
        await using (var r = await attach.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await r.ReadAsync().ConfigureAwait(false))
            {
                attached.Add((r.GetInt16(14), MediaColumns.ReadAttachment(r)));
            }
        }

        if (attached.Count != mediaIds.Count)
        {
            throw new MediaRefusedException("media_ids names an upload that is not yours, not processed yet, or already on another post.");
        }

        var media = attached.OrderBy(a => a.Position).Select(a => a.Media).ToArray();
        return MediaTypes.MixProblem([.. media.Select(m => m.Type)], maxAttachments) is { } problem ? throw new MediaRefusedException(problem) : media;
    }

    /// <summary>The post's live attachments, in order.</summary>
    public async Task<IReadOnlyList<MediaAttachment>> MediaAsync(Guid postId)
    {
        await using var command = db.CreateCommand($"SELECT {MediaColumns.Attachment} FROM media m WHERE m.post_id = $1 AND m.deleted_at IS NULL ORDER BY m.position");
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var media = new List<MediaAttachment>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            media.Add(MediaColumns.ReadAttachment(r));
        }

        return media;
    }

    /// <summary>
    /// The post, or null; up to <paramref name="held"/> accounts per kind are read so the grain can answer "did this viewer
    /// like it" from memory (beyond that it asks the rows). Likes, reposts and bookmarks are counted from the rows (the
    /// truth) when <paramref name="count"/> is set or the row says its figures are open (<c>counts_open</c>); otherwise the
    /// written-behind columns are returned as they are (the grain has stored figures of its own). Comments likewise.
    /// </summary>
    public async Task<LoadedPost?> LoadAsync(Guid id, int held, bool count = true)
    {
        await using var batch = db.CreateBatch();
        var command = new NpgsqlBatchCommand($"""
            SELECT p.author_id, p.text, p.visibility, p.quote_of, p.created_at, p.edited_at, p.deleted_at IS NOT NULL,
                   ARRAY(SELECT tag FROM post_tags WHERE post_id = p.id ORDER BY tag),
                   ARRAY(SELECT m.account_id FROM post_mentions m WHERE m.post_id = p.id ORDER BY m.account_id),
                   ARRAY(SELECT a.username FROM post_mentions m JOIN accounts a ON a.id = m.account_id WHERE m.post_id = p.id ORDER BY m.account_id),
                   CASE WHEN $3 OR p.counts_open THEN (SELECT count(*) FROM likes WHERE post_id = p.id) ELSE p.likes_count END,
                   CASE WHEN $3 OR p.counts_open THEN (SELECT count(*) FROM reposts WHERE post_id = p.id) ELSE p.reposts_count END,
                   CASE WHEN $3 OR p.counts_open THEN (SELECT count(*) FROM bookmarks WHERE post_id = p.id) ELSE p.bookmarks_count END,
                   CASE WHEN $3 OR p.counts_open THEN {CountComments} ELSE p.comments_count END,
                   p.likes_count, p.reposts_count, p.bookmarks_count, p.comments_count,
                   ARRAY(SELECT account_id FROM likes WHERE post_id = p.id LIMIT $2),
                   ARRAY(SELECT account_id FROM reposts WHERE post_id = p.id LIMIT $2),
                   ARRAY(SELECT account_id FROM bookmarks WHERE post_id = p.id LIMIT $2),
                   p.seq, p.counts_open, p.sensitive, p.held_visibility
            FROM posts p WHERE p.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = held + 1 });
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        var media = new NpgsqlBatchCommand($"SELECT {MediaColumns.Attachment} FROM media m WHERE m.post_id = $1 AND m.deleted_at IS NULL ORDER BY m.position");
        media.Parameters.Add(new NpgsqlParameter { Value = id });
        batch.BatchCommands.Add(command);
        batch.BatchCommands.Add(media);
        await using var r = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        if (!await r.ReadAsync().ConfigureAwait(false))
        {
            return null;
        }

        var mentionIds = r.GetFieldValue<long[]>(8);
        var mentionNames = r.GetFieldValue<string[]>(9);
        var counts = new PostCounts(r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13));
        var stored = new PostCounts(r.GetInt64(14), r.GetInt64(15), r.GetInt64(16), r.GetInt64(17));
        var (author, text, visibility) = (r.GetInt64(0), r.GetString(1), r.GetString(2));
        var quoteOf = r.IsDBNull(3) ? (Guid?)null : r.GetGuid(3);
        var (createdAt, editedAt, deleted) = (r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(5), r.GetBoolean(6));
        var tags = r.GetFieldValue<string[]>(7);
        var (likes, reposts, bookmarks) = (r.GetFieldValue<long[]>(18), r.GetFieldValue<long[]>(19), r.GetFieldValue<long[]>(20));
        var (seq, open, sensitive) = (r.GetInt64(21), r.GetBoolean(22), r.GetBoolean(23));
        var heldVisibility = r.IsDBNull(24) ? null : r.GetString(24);
        var attachments = new List<MediaAttachment>();
        await r.NextResultAsync().ConfigureAwait(false);
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            attachments.Add(MediaColumns.ReadAttachment(r));
        }

        var post = new PostRecord(id, author, text, visibility, quoteOf, createdAt, editedAt, deleted, tags,
            mentionIds.Zip(mentionNames, (i, n) => new Mention(i, n)).ToArray(), seq, attachments) { Sensitive = sensitive, HeldVisibility = heldVisibility };
        return new LoadedPost(post, counts, stored != counts, open, Engagement.From(likes, held), Engagement.From(reposts, held), Engagement.From(bookmarks, held));
    }

    /// <summary>The post's counters counted from the rows (the truth), or null if there is no such post.</summary>
    public async Task<PostCounts?> CountAsync(Guid id)
    {
        await using var command = db.CreateCommand($"""
            SELECT (SELECT count(*) FROM likes WHERE post_id = p.id), (SELECT count(*) FROM reposts WHERE post_id = p.id),
                   (SELECT count(*) FROM bookmarks WHERE post_id = p.id), {CountComments}
            FROM posts p WHERE p.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false) ? new PostCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)) : null;
    }

    /// <summary>The viewer's own flags, read from the rows (for posts with more engagement than their grain holds).</summary>
    public async Task<ViewerFlags> FlagsAsync(Guid postId, long viewer)
    {
        await using var command = db.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM likes WHERE post_id = $1 AND account_id = $2),
                   EXISTS (SELECT 1 FROM reposts WHERE post_id = $1 AND account_id = $2),
                   EXISTS (SELECT 1 FROM bookmarks WHERE post_id = $1 AND account_id = $2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        command.Parameters.Add(new NpgsqlParameter { Value = viewer });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await r.ReadAsync().ConfigureAwait(false);
        return new ViewerFlags(r.GetBoolean(0), r.GetBoolean(1), r.GetBoolean(2));
    }

    /// <summary>Existing accounts among <paramref name="usernames"/> (case-insensitive).</summary>
    public async Task<IReadOnlyList<Mention>> ResolveMentionsAsync(IReadOnlyList<string> usernames)
    {
        if (usernames.Count == 0)
        {
            return [];
        }

        await using var command = db.CreateCommand("SELECT id, username FROM accounts WHERE lower(username) = ANY($1) ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = usernames.ToArray() });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var found = new List<Mention>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            found.Add(new Mention(r.GetInt64(0), r.GetString(1)));
        }

        return found;
    }

    /// <summary>
    /// Replaces the post's text (and its entities) and, when <paramref name="mediaIds"/> is given, its attachments (as
    /// <see cref="AttachAsync"/>); <paramref name="descriptions"/> sets alt texts of attachments by id. The version before
    /// goes to the history, attachments with it. Returns the attachments now.
    /// </summary>
    public async Task<IReadOnlyList<MediaAttachment>> EditAsync(PostRecord previous, string text, IReadOnlyList<string> tags,
        IReadOnlyList<Mention> mentions, IReadOnlyList<Guid>? mediaIds, IReadOnlyDictionary<Guid, string>? descriptions, DateTimeOffset now, int maxAttachments)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var (id, seq) = (previous.Id, previous.Seq);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var history = new NpgsqlCommand(
            "INSERT INTO post_edits (post_id, text, edited_at, media_ids, media_descriptions) VALUES ($1, $2, $3, $4, $5)", connection, tx))
        {
            history.Parameters.Add(new NpgsqlParameter { Value = id });
            history.Parameters.Add(new NpgsqlParameter { Value = previous.Text });
            history.Parameters.Add(new NpgsqlParameter { Value = previous.EditedAt ?? previous.CreatedAt });
            history.Parameters.Add(new NpgsqlParameter { Value = previous.Media.Select(m => m.Id).ToArray() });
            history.Parameters.Add(new NpgsqlParameter { Value = previous.Media.Select(m => m.Description).ToArray() });
            await history.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        if (descriptions is { Count: > 0 })
        {
            await using var describe = new NpgsqlCommand("""
                UPDATE media m SET description = d.description FROM unnest($3::uuid[], $4::text[]) AS d(id, description)
                WHERE m.id = d.id AND m.deleted_at IS NULL AND (m.post_id = $1 OR (m.post_id IS NULL AND m.account_id = $2 AND m.purpose = 'attachment'))
                """, connection, tx);
            describe.Parameters.Add(new NpgsqlParameter { Value = id });
            describe.Parameters.Add(new NpgsqlParameter { Value = previous.AuthorId });
            describe.Parameters.Add(new NpgsqlParameter { Value = descriptions.Keys.ToArray() });
            describe.Parameters.Add(new NpgsqlParameter { Value = descriptions.Values.ToArray() });
            await describe.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var media = await AttachAsync(connection, tx, id, previous.AuthorId, mediaIds ?? [.. previous.Media.Select(m => m.Id)], maxAttachments).ConfigureAwait(false);

        await using (var update = new NpgsqlCommand("UPDATE posts SET text = $2, edited_at = $3 WHERE id = $1", connection, tx))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = id });
            update.Parameters.Add(new NpgsqlParameter { Value = text });
            update.Parameters.Add(new NpgsqlParameter { Value = now });
            await update.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        foreach (var table in new[] { "post_tags", "post_mentions" })
        {
            await using var clear = new NpgsqlCommand($"DELETE FROM {table} WHERE post_id = $1", connection, tx);
            clear.Parameters.Add(new NpgsqlParameter { Value = id });
            await clear.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await WriteEntitiesAsync(connection, tx, id, seq, tags, mentions).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return media;
    }

    /// <summary>
    /// Soft-deletes the post and lowers the author's posts counter; its media are marked deleted (their blobs go with the
    /// media sweep). Null when it was already deleted.
    /// </summary>
    /// <remarks>
    /// With <paramref name="keepMedia"/> (a moderator's removal, kept for appeal) the attachments are not released to the
    /// media sweep; they stop being served with the post all the same (public media are served only for live posts).
    /// </remarks>
    public async Task<CountsChange?> DeleteAsync(Guid id, long authorId, DateTimeOffset now, bool keepMedia = false)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var delete = new NpgsqlCommand("UPDATE posts SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL", connection, tx);
        delete.Parameters.Add(new NpgsqlParameter { Value = id });
        delete.Parameters.Add(new NpgsqlParameter { Value = now });
        if (await delete.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
        {
            return null;
        }

        await using (var media = new NpgsqlCommand("UPDATE media SET deleted_at = $2 WHERE post_id = $1 AND deleted_at IS NULL AND NOT $3", connection, tx))
        {
            media.Parameters.Add(new NpgsqlParameter { Value = id });
            media.Parameters.Add(new NpgsqlParameter { Value = now });
            media.Parameters.Add(new NpgsqlParameter { Value = keepMedia });
            await media.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        var counts = await MovePostsCountAsync(connection, tx, authorId, -1).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return counts;
    }

    /// <summary>Gives a held post the visibility it was posted with; that visibility, or null when it was not held.</summary>
    public async Task<string?> ReleaseAsync(Guid id)
    {
        await using var command = db.CreateCommand("""
            UPDATE posts SET visibility = held_visibility, held_visibility = NULL
            WHERE id = $1 AND held_visibility IS NOT NULL AND deleted_at IS NULL RETURNING visibility
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) as string;
    }

    /// <summary>Marks (or clears) the post's media sensitive; false when nothing changed.</summary>
    public async Task<bool> SetSensitiveAsync(Guid id, bool sensitive)
    {
        await using var command = db.CreateCommand("UPDATE posts SET sensitive = $2 WHERE id = $1 AND sensitive <> $2 AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = sensitive });
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false) == 1;
    }

    /// <summary>Brings back a removed post (an appeal granted): no longer deleted, counted again. Null when it was not deleted.</summary>
    public async Task<CountsChange?> RestoreAsync(Guid id, long authorId)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var restore = new NpgsqlCommand("UPDATE posts SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL", connection, tx))
        {
            restore.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await restore.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return null;
            }
        }

        var counts = await MovePostsCountAsync(connection, tx, authorId, 1).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return counts;
    }

    public async Task<IReadOnlyList<PostEdit>> HistoryAsync(Guid id)
    {
        await using var command = db.CreateCommand("SELECT text, edited_at, media_ids, media_descriptions FROM post_edits WHERE post_id = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var edits = new List<PostEdit>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            var media = r.IsDBNull(2) ? [] : r.GetFieldValue<Guid[]>(2).Zip(r.GetFieldValue<string[]>(3), (m, d) => new EditedMedia(m, d)).ToArray();
            edits.Add(new PostEdit(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), media));
        }

        return edits;
    }

    /// <summary>Writes the counters behind (for queries that read posts without their grains).</summary>
    /// <summary>
    /// Writes the counter columns; with <paramref name="close"/> also clears <c>counts_open</c> (the grain has just stored
    /// these figures in its state, and no reaction can change meanwhile: it is deactivating).
    /// </summary>
    public async Task WriteCountsAsync(Guid id, PostCounts counts, bool close = false)
    {
        ArgumentNullException.ThrowIfNull(counts);
        await using var command = db.CreateCommand("""
            UPDATE posts SET likes_count = $2, reposts_count = $3, bookmarks_count = $4, comments_count = $6, counts_open = counts_open AND NOT $5
            WHERE id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Likes });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Reposts });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Bookmarks });
        command.Parameters.Add(new NpgsqlParameter { Value = close });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Comments });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>A page of the viewer's bookmarks: (cursor, post id), newest first.</summary>
    public async Task<IReadOnlyList<(long Cursor, Guid PostId)>> BookmarksAsync(long accountId, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new System.Text.StringBuilder("SELECT r.id, r.post_id FROM bookmarks r JOIN posts p ON p.id = r.post_id WHERE p.deleted_at IS NULL AND r.account_id = ");
        sql.Append(Users.Keyset.Parameter(command, accountId));
        Users.Keyset.Apply(sql, command, "r.id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var rows = new List<(long, Guid)>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            rows.Add((r.GetInt64(0), r.GetGuid(1)));
        }

        return Users.Keyset.NewestFirst(rows, page);
    }

    private static async Task WriteEntitiesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid id, long seq, IReadOnlyList<string> tags,
        IReadOnlyList<Mention> mentions)
    {
        await using var batch = new NpgsqlBatch(connection, tx);
        var insertTags = new NpgsqlBatchCommand("INSERT INTO post_tags (post_id, tag, post_seq) SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING");
        insertTags.Parameters.Add(new NpgsqlParameter { Value = id });
        insertTags.Parameters.Add(new NpgsqlParameter { Value = tags.ToArray() });
        insertTags.Parameters.Add(new NpgsqlParameter { Value = seq });
        var insertMentions = new NpgsqlBatchCommand("INSERT INTO post_mentions (post_id, account_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING");
        insertMentions.Parameters.Add(new NpgsqlParameter { Value = id });
        insertMentions.Parameters.Add(new NpgsqlParameter { Value = mentions.Select(m => m.Id).ToArray() });
        batch.BatchCommands.Add(insertTags);
        batch.BatchCommands.Add(insertMentions);
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    // The author's posts count moves by delta: the grain keeps the figure; the row only hears that its stored figures are
    // behind (counts_open), under the author's lock, shared with the author's other posts (see Users.AccountLocks).
    private static async Task<CountsChange> MovePostsCountAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long authorId, int delta)
    {
        var open = new NpgsqlBatchCommand($"""
            WITH opened AS ({Users.AccountLocks.OpenCounts} RETURNING 1)
            SELECT {Users.AccountLocks.NextVersion} FROM (SELECT count(*) FROM opened) AS o
            """);
        open.Parameters.Add(new NpgsqlParameter { Value = new[] { authorId } });
        await using var batch = new NpgsqlBatch(connection, tx) { BatchCommands = { Users.AccountLocks.Lock(shared: true, authorId), open } };
        await using var r = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        await r.NextResultAsync().ConfigureAwait(false); // past the lock
        await r.ReadAsync().ConfigureAwait(false);
        return new CountsChange(0, 0, delta, r.GetInt64(0));
    }
}
