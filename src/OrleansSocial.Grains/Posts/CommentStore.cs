using System.Text;
using Npgsql;
using OrleansSocial.Grains.Users;
using OrleansSocial.Posts;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Posts;

/// <summary>A comment row.</summary>
public sealed record CommentRecord(long Id, Guid PostId, long AuthorId, long? ParentId, bool Deleted);

/// <summary>
/// The <c>comments</c> and <c>comment_likes</c> tables. Adding, deleting and liking change the counted rows and their
/// counters (<c>replies_count</c>, <c>likes_count</c>) in one transaction; the post's comments are counted by its grain
/// (the transaction sets the post's <c>counts_open</c>, see <see cref="PostGrain"/>).
/// </summary>
public sealed class CommentStore(NpgsqlDataSource db)
{
    private const string ViewColumns = "c.id, c.post_id, c.text, c.parent_comment_id, c.created_at, c.edited_at, c.replies_count, c.likes_count";

    public async Task<CommentRecord?> GetAsync(Guid postId, long commentId)
    {
        await using var command = db.CreateCommand("SELECT author_id, parent_comment_id, deleted_at IS NOT NULL FROM comments WHERE id = $1 AND post_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = commentId });
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        return await r.ReadAsync().ConfigureAwait(false)
            ? new CommentRecord(commentId, postId, r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetBoolean(2))
            : null;
    }

    /// <summary>The live comments <paramref name="authorId"/> wrote under the post (an erased account's, to delete).</summary>
    public async Task<IReadOnlyList<CommentRecord>> ByAuthorAsync(Guid postId, long authorId)
    {
        await using var command = db.CreateCommand("""
            SELECT id, parent_comment_id FROM comments WHERE post_id = $1 AND author_id = $2 AND deleted_at IS NULL ORDER BY id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        command.Parameters.Add(new NpgsqlParameter { Value = authorId });
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var list = new List<CommentRecord>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            list.Add(new CommentRecord(r.GetInt64(0), postId, authorId, r.IsDBNull(1) ? null : r.GetInt64(1), false));
        }

        return list;
    }

    /// <summary>Takes back every like <paramref name="accountId"/> gave the post's comments, lowering their counters, in one transaction.</summary>
    public async Task ForgetLikesAsync(Guid postId, long accountId)
    {
        await using var command = db.CreateCommand("""
            WITH gone AS (
                DELETE FROM comment_likes l USING comments c
                WHERE l.comment_id = c.id AND c.post_id = $1 AND l.account_id = $2
                RETURNING l.comment_id)
            UPDATE comments SET likes_count = likes_count - 1 WHERE id IN (SELECT comment_id FROM gone)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = postId });
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Inserts the comment and bumps its parent's and the post's counters; returns its id.</summary>
    public async Task<long> InsertAsync(Guid postId, long authorId, long? parentId, string text, DateTimeOffset now)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        long id;
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO comments (post_id, author_id, parent_comment_id, text, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id", connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = postId });
            insert.Parameters.Add(new NpgsqlParameter { Value = authorId });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)parentId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = text });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            id = (long)(await insert.ExecuteScalarAsync().ConfigureAwait(false))!;
        }

        await CountAsync(connection, tx, postId, parentId, 1).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return id;
    }

    public async Task EditAsync(long commentId, string text, DateTimeOffset now)
    {
        await using var command = db.CreateCommand("UPDATE comments SET text = $2, edited_at = $3 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = commentId });
        command.Parameters.Add(new NpgsqlParameter { Value = text });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Soft-deletes the comment and lowers the counters; false when it was already deleted.</summary>
    public async Task<bool> DeleteAsync(CommentRecord comment, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(comment);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var delete = new NpgsqlCommand("UPDATE comments SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL", connection, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = comment.Id });
            delete.Parameters.Add(new NpgsqlParameter { Value = now });
            if (await delete.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await CountAsync(connection, tx, comment.PostId, comment.ParentId, -1).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Brings back a removed comment (an appeal granted), counted again; false when it was not deleted.</summary>
    public async Task<bool> RestoreAsync(CommentRecord comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var restore = new NpgsqlCommand("UPDATE comments SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL", connection, tx))
        {
            restore.Parameters.Add(new NpgsqlParameter { Value = comment.Id });
            if (await restore.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await CountAsync(connection, tx, comment.PostId, comment.ParentId, 1).ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Adds or removes the account's like of the comment with its counter; true when something changed.</summary>
    public async Task<bool> SetLikeAsync(long commentId, long accountId, bool on)
    {
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var change = new NpgsqlCommand(on
            ? "INSERT INTO comment_likes (comment_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            : "DELETE FROM comment_likes WHERE comment_id = $1 AND account_id = $2", connection, tx);
        change.Parameters.Add(new NpgsqlParameter { Value = commentId });
        change.Parameters.Add(new NpgsqlParameter { Value = accountId });
        if (await change.ExecuteNonQueryAsync().ConfigureAwait(false) == 0)
        {
            return false;
        }

        await using var count = new NpgsqlCommand("UPDATE comments SET likes_count = likes_count + $2 WHERE id = $1", connection, tx);
        count.Parameters.Add(new NpgsqlParameter { Value = commentId });
        count.Parameters.Add(new NpgsqlParameter { Value = on ? 1L : -1L });
        await count.ExecuteNonQueryAsync().ConfigureAwait(false);
        await tx.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Live comments of the post — top-level ones, or the direct replies to <paramref name="parentId"/> — with their
    /// authors and the viewer's like flag, leaving out authors the viewer blocks or is blocked by. One comment when
    /// <paramref name="only"/> is given.
    /// </summary>
    public async Task<IReadOnlyList<CommentView>> ListAsync(Guid postId, long? parentId, long viewer, PageQuery page, long? only = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        await using var command = new NpgsqlCommand();
        var sql = new StringBuilder("SELECT ").Append(ViewColumns).Append(", ").Append(RelationshipStore.PublicColumns);
        var viewerParameter = Keyset.Parameter(command, viewer);
        sql.Append(", EXISTS (SELECT 1 FROM comment_likes l WHERE l.comment_id = c.id AND l.account_id = ").Append(viewerParameter).Append(')')
            .Append(" FROM comments c JOIN accounts a ON a.id = c.author_id WHERE c.deleted_at IS NULL AND c.post_id = ").Append(Keyset.Parameter(command, postId))
            .Append(" AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = ").Append(viewerParameter).Append(" AND b.blocked_id = a.id) OR (b.blocker_id = a.id AND b.blocked_id = ")
            .Append(viewerParameter).Append("))");
        if (only is { } id)
        {
            sql.Append(" AND c.id = ").Append(Keyset.Parameter(command, id));
        }
        else if (parentId is { } parent)
        {
            sql.Append(" AND c.parent_comment_id = ").Append(Keyset.Parameter(command, parent));
        }
        else
        {
            sql.Append(" AND c.parent_comment_id IS NULL");
        }

        Keyset.Apply(sql, command, "c.id", page);
        command.CommandText = sql.ToString();
        await using var connection = await db.OpenConnectionAsync().ConfigureAwait(false);
        command.Connection = connection;
        await using var r = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var rows = new List<CommentView>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            rows.Add(new CommentView(r.GetInt64(0), r.GetGuid(1), RelationshipStore.ReadPublic(r, 8), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3),
                r.GetFieldValue<DateTimeOffset>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.GetInt64(6), r.GetInt64(7), r.GetBoolean(18)));
        }

        return Keyset.NewestFirst(rows, page);
    }

    private static async Task CountAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid postId, long? parentId, long delta)
    {
        // The post's comments are counted by its grain: the row only hears that the stored figures are behind (a write only
        // when the mark was clear), as with likes.
        await using (var post = new NpgsqlCommand("UPDATE posts SET counts_open = true WHERE id = $1 AND NOT counts_open", connection, tx))
        {
            post.Parameters.Add(new NpgsqlParameter { Value = postId });
            await post.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        if (parentId is { } parent)
        {
            await using var replies = new NpgsqlCommand("UPDATE comments SET replies_count = replies_count + $2 WHERE id = $1", connection, tx);
            replies.Parameters.Add(new NpgsqlParameter { Value = parent });
            replies.Parameters.Add(new NpgsqlParameter { Value = delta });
            await replies.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }
}
