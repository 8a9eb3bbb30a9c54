namespace OrleansSocial.Media;

/// <summary>What an upload's first bytes say it is. Nothing else (name, declared content type) is believed.</summary>
public enum SniffedFormat
{
    Unknown,
    Jpeg,
    Png,
    Gif,
    Webp,

    /// <summary>An ISO base media file: MP4, MOV (QuickTime), 3GP.</summary>
    IsoMedia,

    /// <summary>Matroska / WebM (EBML).</summary>
    Matroska,
}

/// <summary>Identifies uploads by their signatures, and walks GIFs' block structure to count frames without decoding them.</summary>
public static class MediaSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int HeaderLength = 16;

    public static SniffedFormat Sniff(ReadOnlySpan<byte> head) => head switch
    {
        [0xFF, 0xD8, 0xFF, ..] => SniffedFormat.Jpeg,
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => SniffedFormat.Png,
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'7' or (byte)'9', (byte)'a', ..] => SniffedFormat.Gif,
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => SniffedFormat.Webp,
        [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', ..] => SniffedFormat.IsoMedia,
        [0x1A, 0x45, 0xDF, 0xA3, ..] => SniffedFormat.Matroska,
        _ => SniffedFormat.Unknown,
    };

    public static bool IsImage(SniffedFormat format) => format is SniffedFormat.Jpeg or SniffedFormat.Png or SniffedFormat.Gif or SniffedFormat.Webp;

    public static bool IsVideo(SniffedFormat format) => format is SniffedFormat.IsoMedia or SniffedFormat.Matroska;

    /// <summary>
    /// The number of image frames in a GIF, counted by walking its blocks (header, colour tables, extensions, image
    /// descriptors and their data sub-blocks) without decompressing anything; null when the structure is broken.
    /// </summary>
    public static int? CountGifFrames(Stream gif)
    {
        ArgumentNullException.ThrowIfNull(gif);
        Span<byte> header = stackalloc byte[13];
        if (gif.ReadAtLeast(header, 13, throwOnEndOfStream: false) < 13)
        {
            return null;
        }

        if ((header[10] & 0x80) != 0)
        {
            Skip(gif, 3 * (1 << ((header[10] & 0x07) + 1)));
        }

        var frames = 0;
        Span<byte> descriptor = stackalloc byte[9];
        while (true)
        {
            switch (gif.ReadByte())
            {
                case 0x3B: // trailer
                    return frames;
                case 0x21: // extension: label, then sub-blocks
                    if (gif.ReadByte() < 0 || !SkipSubBlocks(gif))
                    {
                        return null;
                    }

                    break;
                case 0x2C: // image descriptor, optional local colour table, LZW code size, data sub-blocks
                    if (gif.ReadAtLeast(descriptor, 9, throwOnEndOfStream: false) < 9)
                    {
                        return null;
                    }

                    if ((descriptor[8] & 0x80) != 0)
                    {
                        Skip(gif, 3 * (1 << ((descriptor[8] & 0x07) + 1)));
                    }

                    if (gif.ReadByte() < 0 || !SkipSubBlocks(gif))
                    {
                        return null;
                    }

                    frames++;
                    break;
                case -1: // ended without a trailer: what was read still counts (browsers show such files)
                    return frames > 0 ? frames : null;
                default:
                    return frames > 0 ? frames : null;
            }
        }
    }

    private static bool SkipSubBlocks(Stream gif)
    {
        while (true)
        {
            var size = gif.ReadByte();
            if (size < 0)
            {
                return false;
            }

            if (size == 0)
            {
                return true;
            }

            Skip(gif, size);
        }
    }

    private static void Skip(Stream stream, int count) => stream.Seek(count, SeekOrigin.Current);
}
