using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace OrleansSocial.Media;

/// <summary>A rendition ready to store: its bytes, content type and file extension.</summary>
public sealed record Rendition(byte[] Content, string ContentType, string Extension, MediaSize Size);

/// <summary>An image re-encoded for serving: the capped original, the small preview, and the preview's BlurHash.</summary>
public sealed record ProcessedImage(Rendition Original, Rendition Preview, string Blurhash);

/// <summary>What a picture is to become: a post attachment (original and preview), an avatar (square) or a profile header.</summary>
public enum ImagePurpose
{
    Attachment,
    Avatar,
    Header,
}

/// <summary>
/// Untrusted pictures in, safe ones out, with SixLabors.ImageSharp 2.1.13. The format and dimensions are read from the
/// header first (<see cref="Identify"/>) and checked against <see cref="MediaOptions"/> before anything is decoded; only
/// JPEG, PNG, GIF and WebP decoders are registered; decoding uses a bounded pooled allocator. Every image is re-encoded —
/// the uploaded bytes are never served — after EXIF orientation is applied, and with every metadata profile (EXIF with
/// its GPS position, ICC, IPTC, XMP) removed.
/// </summary>
public sealed class ImageProcessor
{
    public const int AvatarSide = 400;
    public static readonly MediaSize HeaderSize = new(1500, 500);

    private readonly MediaOptions _options;
    private readonly Configuration _configuration;
    private static readonly JpegEncoder Jpeg = new() { Quality = 85 };
    private static readonly WebpEncoder Webp = new() { Quality = 80, FileFormat = WebpFileFormatType.Lossy };

    public ImageProcessor(MediaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _configuration = new Configuration(new JpegConfigurationModule(), new PngConfigurationModule(), new GifConfigurationModule(), new WebpConfigurationModule())
        {
            // Pooled buffers are capped, and no one buffer may exceed what the largest accepted picture needs.
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                MaximumPoolSizeMegabytes = options.DecoderPoolMegabytes,
                AllocationLimitMegabytes = (int)Math.Min(int.MaxValue, (options.MaxPixels * 4 / (1024 * 1024)) + 16),
            }),
            // Uploads are processed side by side (MediaOptions.ProcessingConcurrency); one core each.
            MaxDegreeOfParallelism = 1,
        };
        // The first frame of a GIF only: animation is ffmpeg's job, and a GIF's frames are its bomb.
        _configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    /// <summary>
    /// The picture's size from its header, refused (<see cref="MediaRejectedException"/>) when it is not a readable JPEG,
    /// PNG, GIF or WebP, or exceeds <see cref="MediaOptions.MaxSide"/> or <see cref="MediaOptions.MaxPixels"/>.
    /// </summary>
    public MediaSize Identify(Stream image)
    {
        ArgumentNullException.ThrowIfNull(image);
        IImageInfo? info;
        try
        {
            info = Image.Identify(_configuration, image, out _);
        }
        catch (Exception e) when (e is ImageFormatException or InvalidImageContentException or UnknownImageFormatException or EndOfStreamException or NotSupportedException)
        {
            throw new MediaRejectedException("The image could not be read.", "file", innerException: e);
        }

        if (info is null || info.Width <= 0 || info.Height <= 0)
        {
            throw new MediaRejectedException("The image could not be read.", "file");
        }

        if (info.Width > _options.MaxSide || info.Height > _options.MaxSide || (long)info.Width * info.Height > _options.MaxPixels)
        {
            throw new MediaRejectedException(
                $"The image is {info.Width}×{info.Height}; at most {_options.MaxSide} pixels a side and {_options.MaxPixels / 1_000_000} megapixels are accepted.", "file");
        }

        return new MediaSize(info.Width, info.Height);
    }

    /// <summary>Identifies, decodes and re-encodes <paramref name="image"/> for <paramref name="purpose"/>.</summary>
    public ProcessedImage Process(Stream image, ImagePurpose purpose, float focusX = 0, float focusY = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        var start = image.Position;
        Identify(image);
        image.Position = start;
        using var decoded = Decode(image);
        decoded.Mutate(x => x.AutoOrient());
        Strip(decoded);
        var opaque = IsOpaque(decoded);
        Rendition original;
        switch (purpose)
        {
            case ImagePurpose.Avatar:
                Crop(decoded, new MediaSize(AvatarSide, AvatarSide), focusX, focusY);
                original = Encode(decoded, opaque);
                return new ProcessedImage(original, original, BlurhashOf(decoded));
            case ImagePurpose.Header:
                Crop(decoded, HeaderSize, focusX, focusY);
                original = Encode(decoded, opaque);
                return new ProcessedImage(original, original, BlurhashOf(decoded));
            default:
                Shrink(decoded, _options.OriginalMaxSide);
                original = Encode(decoded, opaque);
                Shrink(decoded, _options.PreviewMaxSide);
                var preview = Encode(decoded, opaque);
                return new ProcessedImage(original, preview, BlurhashOf(decoded));
        }
    }

    private Image<Rgba32> Decode(Stream image)
    {
        try
        {
            return Image.Load<Rgba32>(_configuration, image);
        }
        catch (Exception e) when (e is ImageFormatException or InvalidImageContentException or UnknownImageFormatException or EndOfStreamException or NotSupportedException
            or InvalidMemoryOperationException or ArgumentException)
        {
            throw new MediaRejectedException("The image could not be read.", "file", innerException: e);
        }
    }

    /// <summary>Removes every metadata profile from the image and its frames.</summary>
    private static void Strip(Image image)
    {
        image.Metadata.ExifProfile = null;
        image.Metadata.IccProfile = null;
        image.Metadata.IptcProfile = null;
        image.Metadata.XmpProfile = null;
        foreach (var frame in image.Frames)
        {
            frame.Metadata.ExifProfile = null;
            frame.Metadata.IccProfile = null;
            frame.Metadata.IptcProfile = null;
            frame.Metadata.XmpProfile = null;
        }
    }

    private static bool IsOpaque(Image<Rgba32> image)
    {
        var opaque = true;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height && opaque; y++)
            {
                foreach (var pixel in rows.GetRowSpan(y))
                {
                    if (pixel.A != 255)
                    {
                        opaque = false;
                        break;
                    }
                }
            }
        });
        return opaque;
    }

    private static void Shrink(Image image, int maxSide)
    {
        if (image.Width > maxSide || image.Height > maxSide)
        {
            image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(maxSide, maxSide), Mode = ResizeMode.Max }));
        }
    }

    // Cover the target size, cropping around the focal point (x right, y up, each −1..1).
    private static void Crop(Image image, MediaSize size, float focusX, float focusY) =>
        image.Mutate(x => x.Resize(new ResizeOptions
        {
            Size = new Size(size.Width, size.Height),
            Mode = ResizeMode.Crop,
            CenterCoordinates = new PointF((focusX + 1) / 2, (1 - focusY) / 2),
        }));

    // Opaque pictures as JPEG (fast, small); those with transparency as WebP, which keeps it.
    private static Rendition Encode(Image image, bool opaque)
    {
        using var output = new MemoryStream();
        if (opaque)
        {
            image.SaveAsJpeg(output, Jpeg);
            return new Rendition(output.ToArray(), "image/jpeg", ".jpg", new MediaSize(image.Width, image.Height));
        }

        image.SaveAsWebp(output, Webp);
        return new Rendition(output.ToArray(), "image/webp", ".webp", new MediaSize(image.Width, image.Height));
    }

    // From a copy at most 64 pixels a side: the hash has 4×3 components and needs no more.
    private static string BlurhashOf(Image<Rgba32> image)
    {
        using var small = image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(64, 64), Mode = ResizeMode.Max }));
        var rgb = new byte[small.Width * small.Height * 3];
        small.ProcessPixelRows(rows =>
        {
            var i = 0;
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (var p in rows.GetRowSpan(y))
                {
                    // Transparent pixels as over white, the way most clients show them.
                    var a = p.A / 255f;
                    rgb[i++] = (byte)((p.R * a) + (255 * (1 - a)));
                    rgb[i++] = (byte)((p.G * a) + (255 * (1 - a)));
                    rgb[i++] = (byte)((p.B * a) + (255 * (1 - a)));
                }
            }
        });
        var (cx, cy) = small.Width >= small.Height ? (4, 3) : (3, 4);
        return Blurhash.Encode(rgb, small.Width, small.Height, cx, cy);
    }

    /// <summary>A plain picture of <paramref name="size"/> in one colour, as PNG (the default avatar and header).</summary>
    public static byte[] Placeholder(MediaSize size, byte r, byte g, byte b)
    {
        ArgumentNullException.ThrowIfNull(size);
        using var image = new Image<Rgb24>(size.Width, size.Height, new Rgb24(r, g, b));
        using var output = new MemoryStream();
        image.SaveAsPng(output);
        return output.ToArray();
    }
}
