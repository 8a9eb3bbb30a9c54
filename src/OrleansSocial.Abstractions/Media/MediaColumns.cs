using Npgsql;

namespace OrleansSocial.Media;

/// <summary>How attachments are read from the <c>media</c> table, by the post store and the media repository alike.</summary>
public static class MediaColumns
{
    /// <summary>The columns <see cref="ReadAttachment"/> reads, in order, for a <c>media</c> row aliased <c>m</c>.</summary>
    public const string Attachment = """
        m.id, m.type, m.original_key, m.preview_key, m.width, m.height, m.small_width, m.small_height, m.duration, m.fps, m.blurhash, m.description,
        m.focus_x, m.focus_y
        """;

    /// <summary>The sizes, length and frame rate from the reader's columns at <paramref name="at"/> (width, height, small width, small height, duration, fps), or null when not processed.</summary>
    public static MediaMeta? ReadMeta(NpgsqlDataReader r, int at)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.IsDBNull(at) ? null : new MediaMeta(new MediaSize(r.GetInt32(at), r.GetInt32(at + 1)), new MediaSize(r.GetInt32(at + 2), r.GetInt32(at + 3)),
            r.IsDBNull(at + 4) ? null : r.GetDouble(at + 4), r.IsDBNull(at + 5) ? null : r.GetDouble(at + 5));
    }

    /// <summary>The attachment in the reader's columns from <paramref name="at"/> on (<see cref="Attachment"/>).</summary>
    public static MediaAttachment ReadAttachment(NpgsqlDataReader r, int at = 0)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new MediaAttachment(r.GetGuid(at), r.GetString(at + 1), r.GetString(at + 2), r.GetString(at + 3), ReadMeta(r, at + 4)!,
            r.GetString(at + 11), r.IsDBNull(at + 10) ? "" : r.GetString(at + 10), r.GetFloat(at + 12), r.GetFloat(at + 13));
    }
}
