using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using OrleansSocial.Media;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansSocial.Host.Tests;

/// <summary>A front end whose media live in a directory of their own, with uploads' temporary files in another.</summary>
public class MediaFactory : AccountsFactory
{
    public string MediaRoot { get; } = Directory.CreateTempSubdirectory("social-media-").FullName;

    public string TempRoot { get; } = Directory.CreateTempSubdirectory("social-uploads-").FullName;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Media:LocalPath"] = MediaRoot,
        ["Media:TempDirectory"] = TempRoot,
        ["Api:RateLimit:UploadsPerMinutePerUser"] = "100000",
    };

    public async Task<long> ScalarAsync(string sql, params object[] values)
    {
        await using var db = NpgsqlDataSource.Create(ConnectionString);
        await using var command = db.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Files made in the tests, and uploads of them.</summary>
internal static class TestMedia
{
    public static byte[] Png(int width, int height, Rgba32? colour = null)
    {
        using var image = new Image<Rgba32>(width, height, colour ?? new Rgba32(200, 40, 40, 255));
        using var output = new MemoryStream();
        image.SaveAsPng(output);
        return output.ToArray();
    }

    public static byte[] Jpeg(int width, int height, Action<Image<Rgb24>>? configure = null)
    {
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), 128);
                }
            }
        });
        configure?.Invoke(image);
        using var output = new MemoryStream();
        image.SaveAsJpeg(output, new JpegEncoder { Quality = 90 });
        return output.ToArray();
    }

    public static byte[] AnimatedGif(int frames)
    {
        using var image = new Image<Rgba32>(64, 48, new Rgba32(255, 0, 0, 255));
        for (var i = 1; i < frames; i++)
        {
            using var frame = new Image<Rgba32>(64, 48, new Rgba32((byte)(i * 40), 0, 255, 255));
            image.Frames.AddFrame(frame.Frames.RootFrame);
        }

        using var output = new MemoryStream();
        image.SaveAsGif(output, new GifEncoder());
        return output.ToArray();
    }

    /// <summary>A PNG signature and IHDR (with its CRC) claiming the given size, and no pixel data: a decompression bomb's header.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[17];
        Encoding.ASCII.GetBytes("IHDR").CopyTo(ihdr, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), height);
        ihdr[12] = 8; // bit depth
        ihdr[13] = 6; // RGBA
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 };
        png.AddRange(ihdr);
        var crc = System.IO.Hashing.Crc32.HashToUInt32(ihdr);
        png.AddRange([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
        return [.. png];
    }

    public static async Task<HttpResponseMessage> UploadAsync(this HttpClient client, string token, byte[] file, string fileName = "photo.bin",
        string? contentType = null, string? description = null, string? focus = null)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        form.Add(content, "file", fileName);
        if (description is not null)
        {
            form.Add(new StringContent(description), "description");
        }

        if (focus is not null)
        {
            form.Add(new StringContent(focus), "focus");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/media") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    /// <summary>Uploads and waits until processed; the attachment.</summary>
    public static async Task<JsonElement> UploadProcessedAsync(this HttpClient client, string token, byte[] file, string? description = null)
    {
        var response = await client.UploadAsync(token, file, description: description);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var media = await response.JsonAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (media.GetProperty("url").ValueKind == JsonValueKind.Null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the upload was not processed within a minute");
            await Task.Delay(100);
            var polled = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/media/{media.GetProperty("id").GetString()}", token: token);
            Assert.True(polled.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent, await polled.Content.ReadAsStringAsync());
            media = await polled.JsonAsync();
        }

        return media;
    }

    /// <summary>The first attachment of the newest post in the reader's home timeline, once the fan-out has put one there.</summary>
    public static async Task<JsonElement> FirstHomeAttachmentAsync(this HttpClient client, string token)
    {
        for (var i = 0; i < 100; i++)
        {
            var home = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/timelines/home", token: token)).JsonAsync();
            if (home.GetArrayLength() > 0)
            {
                return home[0].GetProperty("post").GetProperty("media_attachments")[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("No post reached the home timeline within ten seconds.");
    }

    public static Task<HttpResponseMessage> GetRawAsync(this HttpClient client, string url) => client.GetAsync(new Uri(url, UriKind.RelativeOrAbsolute));
}

public sealed class MediaTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private Task<long> MediaRowsAsync(long account) => factory.ScalarAsync("SELECT count(*) FROM media WHERE account_id = $1", account);

    [Fact]
    public async Task A_small_png_is_processed_before_the_answer_with_both_sizes_and_a_blurhash_and_served_re_encoded()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var png = TestMedia.Png(1, 1);

        var response = await client.UploadAsync(user.AccessToken, png, "dot.png", "image/png", description: "a red dot", focus: "0.5,-0.25");
        var media = await response.JsonAsync();
        var served = await client.GetRawAsync(media.GetProperty("url").GetString()!);
        var preview = await client.GetRawAsync(media.GetProperty("preview_url").GetString()!);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image", media.GetProperty("type").GetString());
        Assert.Equal("a red dot", media.GetProperty("description").GetString());
        Assert.Equal(1, media.GetProperty("meta").GetProperty("original").GetProperty("width").GetInt32());
        Assert.Equal(1, media.GetProperty("meta").GetProperty("small").GetProperty("height").GetInt32());
        Assert.Equal(0.5, media.GetProperty("meta").GetProperty("focus").GetProperty("x").GetDouble(), 3);
        Assert.True(Blurhash.IsValid(media.GetProperty("blurhash").GetString()));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Equal("image/jpeg", served.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual(png, await served.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_large_photo_answers_202_without_a_url_and_the_owner_polls_until_it_is_processed()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var photo = TestMedia.Jpeg(2600, 1800, image => image.Mutate(x => x.GaussianBlur(0.1f)));
        photo = [.. photo, .. new byte[Math.Max(0, (1024 * 1024) + 1 - photo.Length)]]; // past the synchronous limit (trailing bytes after the JPEG's end)

        var response = await client.UploadAsync(user.AccessToken, photo, "big.jpg", "image/jpeg");
        var accepted = await response.JsonAsync();
        var done = await client.UploadProcessedAsync(user.AccessToken, TestMedia.Jpeg(8, 8));
        var media = await PollAsync(client, user.AccessToken, accepted.GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("url").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("url").ValueKind);
        Assert.Equal(1920, media.GetProperty("meta").GetProperty("original").GetProperty("width").GetInt32());
        Assert.Equal(640, media.GetProperty("meta").GetProperty("small").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Twenty_large_uploads_at_once_are_all_accepted_and_decoded_no_more_than_the_configured_few_at_a_time()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var service = factory.Services.GetRequiredService<MediaService>();
        var concurrency = factory.Services.GetRequiredService<MediaOptions>().ProcessingConcurrency;
        var photo = TestMedia.Jpeg(4000, 3000, image => image.Mutate(x => x.GaussianBlur(0.1f))); // 12 megapixels

        var most = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                most = Math.Max(most, service.Active);
                await Task.Delay(2);
            }
        });
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.UploadAsync(user.AccessToken, photo, "big.jpg", "image/jpeg")));
        var ids = new List<string>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            ids.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
        }

        var processed = new List<JsonElement>();
        foreach (var id in ids)
        {
            processed.Add(await PollAsync(client, user.AccessToken, id));
        }

        await sampling.CancelAsync();
        await sampler;

        Assert.All(processed, media => Assert.Equal(1920, media.GetProperty("meta").GetProperty("original").GetProperty("width").GetInt32()));
        Assert.InRange(most, 1, concurrency);
        Assert.Empty(Directory.EnumerateFiles(factory.TempRoot)); // every upload's temporary file is gone
    }

    private static async Task<JsonElement> PollAsync(HttpClient client, string token, string id)
    {
        for (var i = 0; i < 600; i++)
        {
            var polled = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/media/{id}", token: token);
            if (polled.StatusCode == HttpStatusCode.OK)
            {
                return await polled.JsonAsync();
            }

            Assert.Equal(HttpStatusCode.PartialContent, polled.StatusCode);
            await Task.Delay(100);
        }

        throw new TimeoutException("the upload was not processed within a minute");
    }

    [Fact]
    public async Task Exif_orientation_is_applied_and_every_metadata_profile_with_the_gps_position_is_removed()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var photo = TestMedia.Jpeg(120, 60, image =>
        {
            var exif = new ExifProfile();
            exif.SetValue(ExifTag.Orientation, (ushort)6); // rotate 90° clockwise to view
            exif.SetValue(ExifTag.GPSLatitudeRef, "N");
            exif.SetValue(ExifTag.GPSLatitude, [new Rational(51, 1), new Rational(30, 1), new Rational(0, 1)]);
            exif.SetValue(ExifTag.Make, "TestCam");
            image.Metadata.ExifProfile = exif;
        });
        using (var check = Image.Load(photo))
        {
            Assert.NotNull(check.Metadata.ExifProfile?.GetValue(ExifTag.GPSLatitude)); // the upload does carry a position
        }

        var media = await (await client.UploadAsync(user.AccessToken, photo, "gps.jpg", "image/jpeg")).JsonAsync();
        var served = await (await client.GetRawAsync(media.GetProperty("url").GetString()!)).Content.ReadAsByteArrayAsync();
        using var stored = Image.Load(served);

        Assert.Equal(60, media.GetProperty("meta").GetProperty("original").GetProperty("width").GetInt32());
        Assert.Equal(120, media.GetProperty("meta").GetProperty("original").GetProperty("height").GetInt32());
        Assert.Equal((60, 120), (stored.Width, stored.Height));
        Assert.Null(stored.Metadata.ExifProfile);
        Assert.DoesNotContain("TestCam", Encoding.ASCII.GetString(served), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_animated_gif_becomes_a_gifv_served_as_mp4_with_a_still_preview()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");

        var media = await client.UploadProcessedAsync(user.AccessToken, TestMedia.AnimatedGif(6));
        var video = await client.GetRawAsync(media.GetProperty("url").GetString()!);
        var preview = await client.GetRawAsync(media.GetProperty("preview_url").GetString()!);

        Assert.Equal("gifv", media.GetProperty("type").GetString());
        Assert.Equal("video/mp4", video.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("image/", preview.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.True(media.GetProperty("meta").GetProperty("original").GetProperty("duration").GetDouble() > 0);
    }

    [Fact]
    public async Task A_still_gif_is_an_image()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");

        var media = await client.UploadProcessedAsync(user.AccessToken, TestMedia.AnimatedGif(1));

        Assert.Equal("image", media.GetProperty("type").GetString());
    }

    public static TheoryData<string, byte[], string?, int> Refused() => new()
    {
        { "an empty file", [], "image/png", 422 },
        { "a zip renamed .jpg", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0, .. new byte[200]], "image/jpeg", 422 },
        { "a pdf renamed .jpg", [.. Encoding.ASCII.GetBytes("%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n")], "image/jpeg", 422 },
        { "a 100,000 × 100,000 png header", TestMedia.PngHeaderOnly(100_000, 100_000), "image/png", 422 },
        { "a 9,000 × 10 png", TestMedia.Png(9000, 10), "image/png", 422 },
        { "a truncated jpeg", TestMedia.Jpeg(400, 300)[..600], "image/jpeg", 422 },
        { "a png sent as image/jpeg", TestMedia.Png(4, 4), "image/jpeg", 422 },
        { "a 17 MB jpeg", [.. TestMedia.Jpeg(16, 16), .. new byte[17 * 1024 * 1024]], "image/jpeg", 413 },
    };

    [Theory]
    [MemberData(nameof(Refused), DisableDiscoveryEnumeration = true)] // built when run: a 17 MB row is not serialized at discovery
    public async Task Bad_uploads_get_a_clear_4xx_naming_the_file_and_nothing_is_stored(string what, byte[] file, string? contentType, int status)
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");

        var response = await client.UploadAsync(user.AccessToken, file, "upload.jpg", contentType);
        var problem = await response.JsonAsync();

        Assert.True(status == (int)response.StatusCode, $"{what}: {(int)response.StatusCode} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty("file", out _), $"{what}: {problem}");
        Assert.Equal(0, await MediaRowsAsync(user.Id));
        Assert.Empty(Directory.EnumerateFiles(factory.TempRoot, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_polyglot_is_stored_as_a_re_encoded_picture_without_its_payload()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var payload = Encoding.ASCII.GetBytes("<script>alert('polyglot')</script>PK\u0003\u0004");
        var polyglot = (byte[])[.. TestMedia.Jpeg(32, 32), .. payload];

        var media = await (await client.UploadAsync(user.AccessToken, polyglot, "poly.jpg", "image/jpeg")).JsonAsync();
        var served = await (await client.GetRawAsync(media.GetProperty("url").GetString()!)).Content.ReadAsByteArrayAsync();

        Assert.Equal("image", media.GetProperty("type").GetString());
        Assert.DoesNotContain("polyglot", Encoding.ASCII.GetString(served), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_hundred_random_blobs_get_4xx_and_leave_no_temporary_files_and_no_rows()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var random = new Random(20261205);
        var statuses = new List<int>();
        for (var i = 0; i < 200; i++)
        {
            var blob = new byte[random.Next(0, 4096)];
            random.NextBytes(blob);
            // Some start like real formats, so the checks past the signature are tried too.
            if (i % 4 == 1 && blob.Length > 8) { blob[0] = 0xFF; blob[1] = 0xD8; blob[2] = 0xFF; }
            if (i % 4 == 2 && blob.Length > 8) { TestMedia.PngHeaderOnly(10, 10).AsSpan(0, 8).CopyTo(blob); }
            if (i % 4 == 3 && blob.Length > 8) { "GIF89a"u8.CopyTo(blob); }
            statuses.Add((int)(await client.UploadAsync(user.AccessToken, blob, "random.bin")).StatusCode);
        }

        Assert.All(statuses, s => Assert.InRange(s, 400, 499));
        Assert.Empty(Directory.EnumerateFiles(factory.TempRoot, "*", SearchOption.AllDirectories));
        Assert.Equal(0, await MediaRowsAsync(user.Id));
    }

    [Fact]
    public async Task An_upload_is_readable_and_editable_by_its_owner_only()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("md");
        var other = await client.NewUserAsync("md");
        var media = await client.UploadProcessedAsync(owner.AccessToken, TestMedia.Png(8, 8));
        var id = media.GetProperty("id").GetString();

        var theirs = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/media/{id}", token: other.AccessToken);
        var theirEdit = await client.SendJsonAsync(HttpMethod.Put, $"/api/v1/media/{id}", new { description = "mine now" }, other.AccessToken);
        var edited = await client.SendJsonAsync(HttpMethod.Put, $"/api/v1/media/{id}", new { description = "eight by eight", focus = "-1,1" }, owner.AccessToken);
        var badFocus = await client.SendJsonAsync(HttpMethod.Put, $"/api/v1/media/{id}", new { focus = "2,0" }, owner.AccessToken);
        var unsigned = await client.GetRawAsync(media.GetProperty("url").GetString()!.Split('?')[0]);

        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, theirEdit.StatusCode);
        Assert.Equal("eight by eight", (await edited.JsonAsync()).GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badFocus.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unsigned.StatusCode); // an unattached upload is only for its owner's signed URL
    }

    [Fact]
    public async Task A_photo_with_alt_text_reaches_a_followers_home_timeline_with_its_blurhash_and_both_sizes()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var follower = await client.NewUserAsync("md");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var media = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Jpeg(800, 600), "a gradient");

        var created = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "look", media_ids = new[] { media.GetProperty("id").GetString() } },
            author.AccessToken);
        var attachment = await client.FirstHomeAttachmentAsync(follower.AccessToken);

        var original = await client.GetRawAsync(attachment.GetProperty("url").GetString()!);
        var small = await client.GetRawAsync(attachment.GetProperty("preview_url").GetString()!);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("a gradient", attachment.GetProperty("description").GetString());
        Assert.True(Blurhash.IsValid(attachment.GetProperty("blurhash").GetString()));
        Assert.DoesNotContain("signature", attachment.GetProperty("url").GetString()!, StringComparison.Ordinal); // public: a stable URL
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(800, attachment.GetProperty("meta").GetProperty("original").GetProperty("width").GetInt32());
        Assert.Equal(640, attachment.GetProperty("meta").GetProperty("small").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Media_of_a_followers_only_post_are_served_only_by_signed_urls_handed_to_those_who_may_see_it()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var follower = await client.NewUserAsync("md");
        var stranger = await client.NewUserAsync("md");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var media = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(20, 20));
        var word = "w" + Guid.NewGuid().ToString("N")[..10];
        var post = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
            new { text = "friends only " + word, visibility = "followers", media_ids = new[] { media.GetProperty("id").GetString() } }, author.AccessToken)).JsonAsync();
        var postId = post.GetProperty("id").GetString();
        var followersSearch = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/search?q={word}&type=posts", token: follower.AccessToken)).JsonAsync();
        var strangersSearch = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/search?q={word}&type=posts", token: stranger.AccessToken)).JsonAsync();
        var strangersProfile = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts?only_media=true", token: stranger.AccessToken)).JsonAsync();

        var seen = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{postId}", token: follower.AccessToken)).JsonAsync();
        var url = seen.GetProperty("media_attachments")[0].GetProperty("url").GetString()!;
        var strangers = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{postId}", token: stranger.AccessToken);
        var signed = await client.GetRawAsync(url);
        var bare = await client.GetRawAsync(url.Split('?')[0]);
        var tampered = await client.GetRawAsync(url.Replace("signature=", "signature=x", StringComparison.Ordinal));

        Assert.Contains("signature=", url, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, strangers.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, tampered.StatusCode);
        Assert.Contains("signature=", followersSearch.GetProperty("posts")[0].GetProperty("post").GetProperty("media_attachments")[0].GetProperty("url").GetString()!, StringComparison.Ordinal);
        Assert.Equal(0, strangersSearch.GetProperty("posts").GetArrayLength());
        Assert.Equal(0, strangersProfile.GetArrayLength());
    }

    [Fact]
    public async Task The_media_tab_lists_only_the_accounts_own_posts_with_attachments_that_the_viewer_may_see()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var follower = await client.NewUserAsync("md");
        var stranger = await client.NewUserAsync("md");
        var other = await client.NewUserAsync("md");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        async Task<string> PostAsync(TestUser who, string text, string visibility, bool photo)
        {
            var ids = photo ? new[] { (await client.UploadProcessedAsync(who.AccessToken, TestMedia.Png(10, 10))).GetProperty("id").GetString() } : null;
            var created = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text, visibility, media_ids = ids }, who.AccessToken);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            return (await created.JsonAsync()).GetProperty("id").GetString()!;
        }

        async Task<string[]> MediaTabAsync(TestUser viewer) =>
            [.. (await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts?only_media=true", token: viewer.AccessToken)).JsonAsync())
                .EnumerateArray().Select(i => i.GetProperty("post").GetProperty("id").GetString()!)];

        await PostAsync(author, "words only", "public", photo: false);
        var publicPhoto = await PostAsync(author, "a public photo", "public", photo: true);
        var privatePhoto = await PostAsync(author, "a photo for followers", "followers", photo: true);
        var othersPhoto = await PostAsync(other, "someone else's photo", "public", photo: true);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{othersPhoto}/repost", token: author.AccessToken);

        var followers = await MediaTabAsync(follower);
        var strangers = await MediaTabAsync(stranger);
        var all = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{author.Id}/posts", token: follower.AccessToken)).JsonAsync();
        var edited = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{publicPhoto}", new { text = "the photo is gone", media_ids = Array.Empty<string>() },
            author.AccessToken);
        var afterEdit = await MediaTabAsync(stranger);

        Assert.Equal([privatePhoto, publicPhoto], followers);
        Assert.Equal([publicPhoto], strangers);
        Assert.Equal(4, all.GetArrayLength()); // the whole profile: words, two photos and the repost
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Empty(afterEdit);
    }

    [Fact]
    public async Task A_notification_about_a_photo_post_carries_the_post_with_its_media_and_nothing_once_it_is_deleted()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var fan = await client.NewUserAsync("md");
        var media = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(12, 12), "a small square");
        var post = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
            new { text = "like this", media_ids = new[] { media.GetProperty("id").GetString() } }, author.AccessToken)).JsonAsync();
        var postId = post.GetProperty("id").GetString();
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/posts/{postId}/like", token: fan.AccessToken);

        JsonElement liked = default;
        for (var i = 0; i < 100 && liked.ValueKind == JsonValueKind.Undefined; i++)
        {
            var list = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=like", token: author.AccessToken)).JsonAsync();
            if (list.GetArrayLength() > 0)
            {
                liked = list[0];
            }
            else
            {
                await Task.Delay(100);
            }
        }

        var grouped = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?grouped=true", token: author.AccessToken)).JsonAsync();
        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{postId}", token: author.AccessToken);
        var afterDelete = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=like", token: author.AccessToken)).JsonAsync();

        var attachment = liked.GetProperty("post").GetProperty("media_attachments")[0];
        Assert.Equal(postId, liked.GetProperty("post").GetProperty("id").GetString());
        Assert.Equal("a small square", attachment.GetProperty("description").GetString());
        Assert.True(Blurhash.IsValid(attachment.GetProperty("blurhash").GetString()));
        Assert.Equal(media.GetProperty("id").GetString(), grouped[0].GetProperty("post").GetProperty("media_attachments")[0].GetProperty("id").GetString());
        // A deleted post's notifications go with it; any still listed would carry no post.
        Assert.All(afterDelete.EnumerateArray(), n => Assert.Equal(JsonValueKind.Null, n.GetProperty("post").ValueKind));
    }

    [Fact]
    public async Task Another_users_upload_or_a_mix_of_video_and_images_is_refused_with_422_and_no_post_is_made()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var other = await client.NewUserAsync("md");
        var theirs = await client.UploadProcessedAsync(other.AccessToken, TestMedia.Png(4, 4));
        var mine = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(4, 4));
        var gif = await client.UploadProcessedAsync(author.AccessToken, TestMedia.AnimatedGif(3));

        var stolen = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "stolen", media_ids = new[] { theirs.GetProperty("id").GetString() } },
            author.AccessToken);
        var mixed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
            new { text = "mixed", media_ids = new[] { mine.GetProperty("id").GetString(), gif.GetProperty("id").GetString() } }, author.AccessToken);
        var posts = await factory.ScalarAsync("SELECT count(*) FROM posts WHERE author_id = $1", author.Id);
        var stillFree = await factory.ScalarAsync("SELECT count(*) FROM media WHERE account_id = $1 AND post_id IS NULL", author.Id);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, stolen.StatusCode);
        Assert.True((await stolen.JsonAsync()).GetProperty("errors").TryGetProperty("media_ids", out _));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mixed.StatusCode);
        Assert.Equal(0, posts);
        Assert.Equal(2, stillFree);
    }

    [Fact]
    public async Task A_post_of_only_a_photo_needs_no_text_and_editing_replaces_its_media_and_alt_text_with_history()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var first = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(4, 4), "first");
        var second = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(6, 6), "second");

        var created = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { media_ids = new[] { first.GetProperty("id").GetString() } }, author.AccessToken);
        var postId = (await created.JsonAsync()).GetProperty("id").GetString();
        var edited = await client.SendJsonAsync(HttpMethod.Patch, $"/api/v1/posts/{postId}", new
        {
            text = "now with words",
            media_ids = new[] { second.GetProperty("id").GetString() },
            media_attributes = new[] { new { id = second.GetProperty("id").GetString(), description = "the second, described" } },
        }, author.AccessToken);
        var post = await edited.JsonAsync();
        var history = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/posts/{postId}/history", token: author.AccessToken)).JsonAsync();
        // The detached upload is marked deleted, or already swept (the edit wakes the sweeper).
        var live = await factory.ScalarAsync("SELECT count(*) FROM media WHERE id = $1 AND deleted_at IS NULL", Guid.Parse(first.GetProperty("id").GetString()!));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal("the second, described", post.GetProperty("media_attachments")[0].GetProperty("description").GetString());
        Assert.Equal(1, post.GetProperty("media_attachments").GetArrayLength());
        Assert.Equal(first.GetProperty("id").GetString(), history[0].GetProperty("media")[0].GetProperty("id").GetString());
        Assert.Equal("first", history[0].GetProperty("media")[0].GetProperty("description").GetString());
        Assert.Equal(0, live);
    }

    [Fact]
    public async Task Deleting_a_post_deletes_its_blobs_and_unattached_uploads_go_after_a_day()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("md");
        var attached = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(4, 4));
        var forgotten = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Png(5, 5));
        var post = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
            new { text = "short-lived", media_ids = new[] { attached.GetProperty("id").GetString() } }, author.AccessToken)).JsonAsync();
        var attachedUrl = post.GetProperty("media_attachments")[0].GetProperty("url").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await client.GetRawAsync(attachedUrl)).StatusCode);
        await factory.ScalarAsync("UPDATE media SET created_at = now() - interval '25 hours' WHERE id = $1 RETURNING 1", Guid.Parse(forgotten.GetProperty("id").GetString()!));

        await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{post.GetProperty("id").GetString()}", token: author.AccessToken);
        await factory.Services.GetRequiredService<MediaSweeper>().SweepAsync(default);

        Assert.Equal(0, await MediaRowsAsync(author.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetRawAsync(attachedUrl)).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(factory.MediaRoot, attachedUrl.Split('/')[2])));
        Assert.False(Directory.Exists(Path.Combine(factory.MediaRoot, forgotten.GetProperty("url").GetString()!.Split('/')[2])));
    }

    [Fact]
    public async Task Avatar_and_header_are_cropped_to_size_replaced_blobs_are_deleted_and_removal_restores_the_default()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var other = await client.NewUserAsync("md");

        var first = await PatchImagesAsync(client, user.AccessToken, ("avatar", TestMedia.Jpeg(900, 600)), ("header", TestMedia.Jpeg(3000, 2000)), ("display_name", null));
        var firstAvatar = first.GetProperty("avatar").GetString()!;
        var second = await PatchImagesAsync(client, user.AccessToken, ("avatar", TestMedia.Png(50, 80)));
        var seenByOther = await (await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/{user.Id}", token: other.AccessToken)).JsonAsync();
        using var avatar = Image.Load(await (await client.GetRawAsync(second.GetProperty("avatar").GetString()!)).Content.ReadAsByteArrayAsync());
        using var header = Image.Load(await (await client.GetRawAsync(second.GetProperty("header").GetString()!)).Content.ReadAsByteArrayAsync());
        var oldAvatar = await client.GetRawAsync(firstAvatar);
        var removed = await (await client.SendJsonAsync(HttpMethod.Delete, "/api/v1/accounts/me/avatar", token: user.AccessToken)).JsonAsync();
        var defaultAvatar = await client.GetRawAsync(removed.GetProperty("avatar").GetString()!);

        Assert.Equal("Renamed", first.GetProperty("display_name").GetString());
        Assert.Equal((400, 400), (avatar.Width, avatar.Height));
        Assert.Equal((1500, 500), (header.Width, header.Height));
        Assert.Equal(second.GetProperty("avatar").GetString(), seenByOther.GetProperty("avatar").GetString());
        Assert.Equal(HttpStatusCode.NotFound, oldAvatar.StatusCode);
        Assert.Equal(MediaLinks.DefaultAvatar, removed.GetProperty("avatar").GetString());
        Assert.Equal(HttpStatusCode.OK, defaultAvatar.StatusCode);
    }

    [Fact]
    public async Task A_profile_picture_that_is_not_an_image_is_refused_naming_the_field()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");

        using var form = new MultipartFormDataContent { { new ByteArrayContent("not an image"u8.ToArray()), "avatar", "a.png" } };
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/accounts/me") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken);
        var response = await client.SendAsync(request);

        var problem = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("avatar", out _), problem.ToString());
    }

    [Fact]
    public async Task The_profile_forms_text_fields_refuse_control_characters_naming_the_field_and_change_nothing()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");

        async Task<HttpResponseMessage> PatchAsync(string field, string value)
        {
            using var form = new MultipartFormDataContent
            {
                { new ByteArrayContent(TestMedia.Png(8, 8)), "avatar", "a.png" },
                { new StringContent(value), field },
            };
            using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/accounts/me") { Content = form };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken);
            return await client.SendAsync(request);
        }

        var escaped = await PatchAsync("display_name", "ok\u001bok");
        var broken = await PatchAsync("display_name", "two\nlines");
        var bio = await PatchAsync("bio", "two\nlines");
        var me = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.BadRequest, escaped.StatusCode);
        Assert.True((await escaped.JsonAsync()).GetProperty("errors").TryGetProperty("display_name", out _));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bio.StatusCode); // a bio may have line breaks
        Assert.Equal("two\nlines", me.GetProperty("bio").GetString());
        Assert.Equal(1, await MediaRowsAsync(user.Id)); // only the accepted form's avatar was stored
    }

    private static async Task<JsonElement> PatchImagesAsync(HttpClient client, string token, params (string Name, byte[]? File)[] parts)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, file) in parts)
        {
            if (file is null)
            {
                form.Add(new StringContent("Renamed"), name);
            }
            else
            {
                form.Add(new ByteArrayContent(file), name, name + ".img");
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/accounts/me") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    [Fact]
    public async Task A_video_is_probed_for_its_length_and_rate_gets_a_poster_preview_and_is_served_in_ranges()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("md");
        var path = Path.Combine(factory.MediaRoot, "..", Guid.NewGuid().ToString("N") + ".mp4");
        using (var ffmpeg = System.Diagnostics.Process.Start("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=10",
                   "-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata", "location=+51.5000-000.1000/", path])!)
        {
            await ffmpeg.WaitForExitAsync();
            Assert.Equal(0, ffmpeg.ExitCode);
        }

        var media = await client.UploadProcessedAsync(user.AccessToken, await File.ReadAllBytesAsync(path));
        File.Delete(path);
        var url = media.GetProperty("url").GetString()!;
        using var range = new HttpRequestMessage(HttpMethod.Get, url);
        range.Headers.Range = new RangeHeaderValue(0, 99);
        var partial = await client.SendAsync(range);
        var whole = await (await client.GetRawAsync(url)).Content.ReadAsByteArrayAsync();

        Assert.Equal("video", media.GetProperty("type").GetString());
        Assert.Equal(2.0, media.GetProperty("meta").GetProperty("original").GetProperty("duration").GetDouble(), 1);
        Assert.Equal(10.0, media.GetProperty("meta").GetProperty("original").GetProperty("frame_rate").GetDouble(), 1);
        Assert.Equal(320, media.GetProperty("meta").GetProperty("original").GetProperty("width").GetInt32());
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(100, (await partial.Content.ReadAsByteArrayAsync()).Length);
        Assert.DoesNotContain("+51.5000", Encoding.ASCII.GetString(whole), StringComparison.Ordinal);
    }
}
