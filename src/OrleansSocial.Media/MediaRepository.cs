using Npgsql;

namespace OrleansSocial.Media;

/// <summary>What an upload is for.</summary>
public static class MediaPurposes
{
    public const string Attachment = "attachment";
    public const string Avatar = "avatar";
    public const string Header = "header";
}

/// <summary>A <c>media</c> row as the API shows it to its owner.</summary>
public sealed record MediaRow(
    Guid Id, long AccountId, string Purpose, string Type, string Status, string Token, string? OriginalKey, string? PreviewKey, MediaMeta? Meta,
    string? Blurhash, string Description, float FocusX, float FocusY, string? Error, Guid? PostId, DateTimeOffset CreatedAt)
{
    public MediaAttachment? ToAttachment() => Status == "ready" && OriginalKey is not null && PreviewKey is not null && Meta is not null
        ? new MediaAttachment(Id, Type, OriginalKey, PreviewKey, Meta, Description, Blurhash ?? "", FocusX, FocusY)
        : null;
}

/// <summary>Whether a blob may be served without a signature, and what it belongs to.</summary>
public sealed record MediaAccess(bool Public, bool Exists);

/// <summary>The <c>media</c> table.</summary>
public sealed class MediaRepository(NpgsqlDataSource db)
{
    private const string Columns = """
        id, account_id, purpose, type, status, token, original_key, preview_key, width, height, small_width, small_height, duration, fps,
        blurhash, description, focus_x, focus_y, error, post_id, created_at
        """;

    public async Task InsertAsync(Guid id, long accountId, string purpose, string type, string token, string description, float focusX, float focusY,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO media (id, account_id, purpose, type, status, token, description, focus_x, focus_y, created_at)
            VALUES ($1, $2, $3, $4, 'processing', $5, $6, $7, $8, $9)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = purpose });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        command.Parameters.Add(new NpgsqlParameter { Value = description });
        command.Parameters.Add(new NpgsqlParameter { Value = focusX });
        command.Parameters.Add(new NpgsqlParameter { Value = focusY });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the upload processed, naming the blobs already written. False when the row is gone (deleted meanwhile).</summary>
    public async Task<bool> CompleteAsync(Guid id, string type, string originalKey, string previewKey, MediaMeta meta, string blurhash, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meta);
        await using var command = db.CreateCommand("""
            UPDATE media SET status = 'ready', type = $2, original_key = $3, preview_key = $4, width = $5, height = $6, small_width = $7, small_height = $8,
                   duration = $9, fps = $10, blurhash = $11, processed_at = $12
            WHERE id = $1 AND status = 'processing' AND deleted_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = originalKey });
        command.Parameters.Add(new NpgsqlParameter { Value = previewKey });
        command.Parameters.Add(new NpgsqlParameter { Value = meta.Original.Width });
        command.Parameters.Add(new NpgsqlParameter { Value = meta.Original.Height });
        command.Parameters.Add(new NpgsqlParameter { Value = meta.Small.Width });
        command.Parameters.Add(new NpgsqlParameter { Value = meta.Small.Height });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)meta.DurationSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)meta.FramesPerSecond ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = blurhash });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Marks the upload failed with a reason the owner sees (its blobs, if any, go with the sweep).</summary>
    public async Task FailAsync(Guid id, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE media SET status = 'failed', error = $2, processed_at = $3 WHERE id = $1 AND status = 'processing'");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = error });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The live row, or null.</summary>
    public async Task<MediaRow?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM media WHERE id = $1 AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
    }

    /// <summary>
    /// Changes the alt text and focal point of an unattached upload of <paramref name="accountId"/>; null fields stay.
    /// Null when there is no such upload of theirs that is still unattached.
    /// </summary>
    public async Task<MediaRow?> UpdateAsync(Guid id, long accountId, string? description, float? focusX, float? focusY, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"""
            UPDATE media SET description = coalesce($3, description), focus_x = coalesce($4, focus_x), focus_y = coalesce($5, focus_y)
            WHERE id = $1 AND account_id = $2 AND purpose = 'attachment' AND post_id IS NULL AND story_id IS NULL AND deleted_at IS NULL
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = accountId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)focusX ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Real });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)focusY ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Real });
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
    }

    /// <summary>
    /// Whether the blobs under <paramref name="token"/> may be served without a signature: a current avatar or header, or
    /// an attachment of a live public post of a public account. <c>Exists</c> is false when no live row has the token.
    /// </summary>
    public async Task<MediaAccess> AccessAsync(string token, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT CASE m.purpose
                     WHEN 'attachment' THEN p.id IS NOT NULL AND p.deleted_at IS NULL AND p.visibility = 'public' AND NOT a.is_private AND a.limited_at IS NULL
                     ELSE EXISTS (SELECT 1 FROM accounts o WHERE o.avatar_media = m.id OR o.header_media = m.id)
                   END
            FROM media m
            LEFT JOIN posts p ON p.id = m.post_id
            LEFT JOIN accounts a ON a.id = p.author_id
            WHERE m.token = $1 AND m.deleted_at IS NULL AND m.status = 'ready'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result is bool open ? new MediaAccess(open, true) : new MediaAccess(false, false);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> rows whose blobs should go: deleted ones, unattached uploads older than
    /// <paramref name="unattachedBefore"/>, uploads stuck processing since <paramref name="stuckBefore"/> (their process
    /// died), failed ones, and avatars or headers no account uses any more. Each is returned as (id, token).
    /// </summary>
    public async Task<IReadOnlyList<(Guid Id, string Token)>> DoomedAsync(DateTimeOffset unattachedBefore, DateTimeOffset stuckBefore, int limit,
        CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT id, token FROM media m
            WHERE m.deleted_at IS NOT NULL
               OR (m.purpose = 'attachment' AND m.post_id IS NULL AND m.story_id IS NULL AND m.created_at < $1)
               OR (m.status = 'processing' AND m.created_at < $2)
               OR (m.status = 'failed' AND m.created_at < $2)
               OR (m.purpose <> 'attachment' AND m.created_at < $2
                   AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.avatar_media = m.id OR o.header_media = m.id))
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = unattachedBefore });
        command.Parameters.Add(new NpgsqlParameter { Value = stuckBefore });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(Guid, string)>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add((r.GetGuid(0), r.GetString(1)));
        }

        return rows;
    }

    /// <summary>Deletes a row whose blobs are gone.</summary>
    public async Task RemoveAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("DELETE FROM media WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks <paramref name="id"/> deleted (its blobs go with the next sweep).</summary>
    public async Task MarkDeletedAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE media SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static MediaRow Read(NpgsqlDataReader r)
    {
        var meta = MediaColumns.ReadMeta(r, 8);
        return new MediaRow(r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), meta, r.IsDBNull(14) ? null : r.GetString(14), r.GetString(15),
            r.GetFloat(16), r.GetFloat(17), r.IsDBNull(18) ? null : r.GetString(18), r.IsDBNull(19) ? null : r.GetGuid(19), r.GetFieldValue<DateTimeOffset>(20));
    }
}
