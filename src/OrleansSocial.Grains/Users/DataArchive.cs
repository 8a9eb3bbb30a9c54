using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Npgsql;
using OrleansSocial.Media;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// Writes an account's archive: a zip with one JSON file per collection, the media files, and a README. Everything
/// streams — rows are read one at a time (PostgreSQL builds each row's JSON), written through the zip entry and flushed
/// every few hundred rows, and blobs are copied from the store — so memory stays flat whatever the account holds.
/// Only the account's own data goes in: of other people, only what the account saw as theirs (usernames of the accounts
/// it follows or talks with, the messages of conversations it is in).
/// </summary>
public sealed class DataArchive(NpgsqlDataSource db, IMediaStore? media)
{
    private const int FlushEvery = 256;

    // name, whether it is one object (else an array), and the query: one JSON text per row, $1 the account.
    private static readonly (string Name, bool Single, string Sql, string About)[] Collections =
    [
        ("profile", true, """
            SELECT json_build_object('id', id::text, 'username', username, 'email', email, 'email_verified', email_verified_at IS NOT NULL,
                'display_name', display_name, 'bio', bio, 'website', website, 'is_private', is_private, 'dm_policy', dm_policy,
                'created_at', created_at, 'avatar_media_id', avatar_media, 'header_media_id', header_media)::text
            FROM accounts WHERE id = $1
            """, "your account and profile"),
        ("posts", false, """
            SELECT json_build_object('id', p.id, 'text', p.text, 'visibility', coalesce(p.held_visibility, p.visibility), 'sensitive', p.sensitive,
                'quote_of', p.quote_of, 'created_at', p.created_at, 'edited_at', p.edited_at,
                'media_ids', (SELECT coalesce(json_agg(m.id ORDER BY m.position), '[]') FROM media m WHERE m.post_id = p.id AND m.deleted_at IS NULL),
                'tags', (SELECT coalesce(json_agg(t.tag ORDER BY t.tag), '[]') FROM post_tags t WHERE t.post_id = p.id),
                'earlier_versions', (SELECT coalesce(json_agg(json_build_object('text', e.text, 'replaced_at', e.edited_at) ORDER BY e.id), '[]')
                                     FROM post_edits e WHERE e.post_id = p.id))::text
            FROM posts p WHERE p.author_id = $1 AND p.deleted_at IS NULL ORDER BY p.created_at, p.id
            """, "your posts, each with its earlier versions (edit history), tags and media ids"),
        ("comments", false, """
            SELECT json_build_object('id', id::text, 'post_id', post_id, 'parent_comment_id', parent_comment_id::text, 'text', text,
                'created_at', created_at, 'edited_at', edited_at)::text
            FROM comments WHERE author_id = $1 AND deleted_at IS NULL ORDER BY id
            """, "your comments"),
        ("likes", false, "SELECT json_build_object('post_id', post_id, 'at', created_at)::text FROM likes WHERE account_id = $1 ORDER BY id",
            "the posts you like"),
        ("reposts", false, "SELECT json_build_object('post_id', post_id, 'at', created_at)::text FROM reposts WHERE account_id = $1 ORDER BY id",
            "the posts you reposted"),
        ("bookmarks", false, "SELECT json_build_object('post_id', post_id, 'at', created_at)::text FROM bookmarks WHERE account_id = $1 ORDER BY id",
            "your bookmarks"),
        ("following", false, """
            SELECT json_build_object('account_id', a.id::text, 'username', a.username, 'since', f.created_at)::text
            FROM follows f JOIN accounts a ON a.id = f.followee_id WHERE f.follower_id = $1 AND a.erased_at IS NULL ORDER BY f.id
            """, "the accounts you follow"),
        ("followers", false, """
            SELECT json_build_object('account_id', a.id::text, 'username', a.username, 'since', f.created_at)::text
            FROM follows f JOIN accounts a ON a.id = f.follower_id WHERE f.followee_id = $1 AND a.erased_at IS NULL ORDER BY f.id
            """, "the accounts following you"),
        ("follow_requests", false, """
            SELECT json_build_object('direction', CASE WHEN r.requester_id = $1 THEN 'sent' ELSE 'received' END, 'account_id', a.id::text,
                'username', a.username, 'at', r.created_at)::text
            FROM follow_requests r JOIN accounts a ON a.id = CASE WHEN r.requester_id = $1 THEN r.target_id ELSE r.requester_id END
            WHERE (r.requester_id = $1 OR r.target_id = $1) AND a.erased_at IS NULL ORDER BY r.id
            """, "follow requests you sent and received"),
        ("blocks", false, """
            SELECT json_build_object('account_id', a.id::text, 'username', a.username, 'since', b.created_at)::text
            FROM blocks b JOIN accounts a ON a.id = b.blocked_id WHERE b.blocker_id = $1 ORDER BY b.id
            """, "the accounts you block"),
        ("mutes", false, """
            SELECT json_build_object('account_id', a.id::text, 'username', a.username, 'since', m.created_at, 'until', m.expires_at)::text
            FROM mutes m JOIN accounts a ON a.id = m.muted_id WHERE m.muter_id = $1 ORDER BY m.id
            """, "the accounts you mute"),
        ("close_friends", false, """
            SELECT json_build_object('account_id', a.id::text, 'username', a.username, 'since', c.created_at)::text
            FROM close_friends c JOIN accounts a ON a.id = c.friend_id WHERE c.owner_id = $1 ORDER BY c.id
            """, "your close friends list"),
        ("followed_tags", false, "SELECT json_build_object('tag', tag, 'since', created_at)::text FROM tag_follows WHERE account_id = $1 ORDER BY id",
            "the hashtags you follow"),
        ("conversations", false, """
            SELECT json_build_object('id', c.id, 'kind', c.kind, 'title', c.title, 'created_at', c.created_at, 'joined_at', cm.joined_at,
                'members', (SELECT json_agg(json_build_object('account_id', m.account_id::text, 'username', a.username) ORDER BY m.account_id)
                            FROM conversation_members m JOIN accounts a ON a.id = m.account_id WHERE m.conversation_id = c.id))::text
            FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id WHERE cm.account_id = $1 ORDER BY c.created_at
            """, "the conversations (direct messages) you are in"),
        ("messages", false, """
            SELECT json_build_object('conversation_id', m.conversation_id, 'seq', m.seq, 'sender_id', m.sender_id::text, 'sent_by_you', m.sender_id = $1,
                'text', m.text, 'reply_to', m.reply_to, 'story_id', m.story_id, 'created_at', m.created_at, 'edited_at', m.edited_at)::text
            FROM conversation_members cm JOIN messages m ON m.conversation_id = cm.conversation_id AND m.seq > cm.joined_seq
            WHERE cm.account_id = $1 AND m.deleted_at IS NULL ORDER BY m.conversation_id, m.seq
            """, "the messages you sent and received in those conversations"),
        ("stories", false, """
            SELECT json_build_object('id', id, 'media_id', media_id, 'caption', caption, 'link_url', link_url, 'audience', audience,
                'created_at', created_at, 'expires_at', expires_at, 'ended_at', ended_at)::text
            FROM stories WHERE author_id = $1 AND NOT deleted ORDER BY created_at
            """, "your stories, live and archived"),
        ("highlights", false, """
            SELECT json_build_object('id', h.id, 'title', h.title, 'created_at', h.created_at,
                'story_ids', (SELECT coalesce(json_agg(s.story_id ORDER BY s.position), '[]') FROM highlight_stories s WHERE s.highlight_id = h.id))::text
            FROM highlights h WHERE h.owner_id = $1 ORDER BY h.created_at
            """, "your story highlights"),
        ("notifications", false, """
            SELECT json_build_object('id', id::text, 'type', type, 'detail', detail, 'actor_id', actor_id::text, 'post_id', post_id,
                'comment_id', comment_id::text, 'created_at', created_at, 'read_at', read_at)::text
            FROM notifications WHERE recipient_id = $1 ORDER BY id
            """, "your notifications"),
        ("sessions", false, """
            SELECT json_build_object('device', device, 'ip', ip, 'created_at', created_at, 'last_used_at', last_used_at, 'signed_out_at', revoked_at)::text
            FROM sessions WHERE account_id = $1 ORDER BY created_at
            """, "where and when you signed in"),
        ("media", false, """
            SELECT json_build_object('id', id, 'purpose', purpose, 'type', type, 'description', description, 'post_id', post_id, 'created_at', created_at,
                'file', 'media/' || id || coalesce(substring(original_key from '\.[A-Za-z0-9]+$'), ''))::text
            FROM media WHERE account_id = $1 AND deleted_at IS NULL AND status = 'ready' AND original_key IS NOT NULL ORDER BY created_at
            """, "your uploads (pictures and videos); the files are in media/"),
    ];

    /// <summary>The names of the archive's JSON files.</summary>
    public static IEnumerable<string> Files => Collections.Select(c => c.Name + ".json");

    /// <summary>Writes the archive of <paramref name="account"/> to <paramref name="output"/>.</summary>
    public async Task WriteAsync(long account, Stream output, CancellationToken ct)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        await WriteReadmeAsync(zip).ConfigureAwait(false);
        foreach (var collection in Collections)
        {
            await WriteCollectionAsync(zip, account, collection.Name, collection.Single, collection.Sql, ct).ConfigureAwait(false);
        }

        await WriteMediaAsync(zip, account, ct).ConfigureAwait(false);
    }

    private static async Task WriteReadmeAsync(ZipArchive zip)
    {
        var text = new StringBuilder()
            .AppendLine("Your OrleansSocial data")
            .AppendLine()
            .AppendLine("Each collection is a JSON file (UTF-8; times in UTC, ISO 8601; ids as strings or UUIDs):")
            .AppendLine();
        foreach (var collection in Collections)
        {
            text.Append("  ").Append(collection.Name).Append(".json").Append(new string(' ', Math.Max(1, 22 - collection.Name.Length)))
                .AppendLine(collection.About);
        }

        text.AppendLine()
            .AppendLine("media/ holds the original file of each upload, named by its id (media.json says what each one is).")
            .AppendLine("Other people appear only as the ids and usernames of accounts you follow, are followed by or talk with,")
            .AppendLine("and through the messages of conversations you are in.");
        await using var entry = zip.CreateEntry("README.txt").Open();
        await entry.WriteAsync(Encoding.UTF8.GetBytes(text.ToString())).ConfigureAwait(false);
    }

    private async Task WriteCollectionAsync(ZipArchive zip, long account, string name, bool single, string sql, CancellationToken ct)
    {
        await using var entry = zip.CreateEntry(name + ".json", CompressionLevel.Optimal).Open();
        await using var writer = new Utf8JsonWriter(entry, new JsonWriterOptions { Indented = true });
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        await using var r = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct).ConfigureAwait(false);
        if (single)
        {
            if (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                writer.WriteRawValue(r.GetString(0));
            }
            else
            {
                writer.WriteNullValue();
            }
        }
        else
        {
            writer.WriteStartArray();
            var rows = 0;
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                writer.WriteRawValue(r.GetString(0));
                if (++rows % FlushEvery == 0)
                {
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                }
            }

            writer.WriteEndArray();
        }

        await writer.FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task WriteMediaAsync(ZipArchive zip, long account, CancellationToken ct)
    {
        if (media is null)
        {
            throw new InvalidOperationException("This process has no media store: the archive's media cannot be read.");
        }

        await using var command = db.CreateCommand("""
            SELECT id, original_key FROM media
            WHERE account_id = $1 AND deleted_at IS NULL AND status = 'ready' AND original_key IS NOT NULL ORDER BY created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = account });
        // The reader stays open while each blob is copied: one row at a time, whatever the count.
        await using var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var (id, key) = (r.GetGuid(0), r.GetString(1));
            await using var blob = await media.OpenReadAsync(key, ct).ConfigureAwait(false);
            if (blob is null)
            {
                continue; // swept meanwhile
            }

            // Pictures and videos are compressed already.
            await using var entry = zip.CreateEntry("media/" + id + Path.GetExtension(key), CompressionLevel.NoCompression).Open();
            await blob.CopyToAsync(entry, ct).ConfigureAwait(false);
        }
    }
}
