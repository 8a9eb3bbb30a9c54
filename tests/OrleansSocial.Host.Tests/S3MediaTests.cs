using System.Net;
using System.Text.Json;
using OrleansSocial.Media;
using OrleansSocial.TestInfrastructure;
using SixLabors.ImageSharp;

namespace OrleansSocial.Host.Tests;

/// <summary>A front end whose media are kept in a bucket of s3rver, a real S3 protocol peer, read by presigned URLs.</summary>
public sealed class S3MediaFactory : AccountsFactory
{
    public string Bucket { get; } = "social-e2e-" + Guid.NewGuid().ToString("N")[..8];

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Media:Store"] = "s3",
        ["Media:S3:Endpoint"] = S3Server.Instance.Endpoint,
        ["Media:S3:ForcePathStyle"] = "true",
        ["Media:S3:Bucket"] = Bucket,
        ["Media:S3:AccessKey"] = S3Server.AccessKey,
        ["Media:S3:SecretKey"] = S3Server.SecretKey,
        ["Media:S3:CreateBucket"] = "true",
        ["Media:TempDirectory"] = Directory.CreateTempSubdirectory("social-uploads-").FullName,
    };
}

public sealed class S3MediaTests(S3MediaFactory factory) : IClassFixture<S3MediaFactory>
{
    private static readonly HttpClient Http = new();

    private static S3MediaStore Store(string bucket, string? publicBaseUrl = null, TimeSpan? lifetime = null) => new(new MediaOptions
    {
        Store = "s3",
        SignedUrlLifetime = lifetime ?? TimeSpan.FromMinutes(5),
        S3 = new S3StoreOptions
        {
            Endpoint = S3Server.Instance.Endpoint,
            ForcePathStyle = true,
            Bucket = bucket,
            AccessKey = S3Server.AccessKey,
            SecretKey = S3Server.SecretKey,
            PublicBaseUrl = publicBaseUrl,
        },
    }, TimeProvider.System);

    private static async Task<byte[]?> ReadAsync(IMediaStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, CancellationToken.None);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task The_s3_store_puts_reads_and_deletes_every_blob_of_a_token_on_a_real_s3_peer()
    {
        var bucket = "social-store-" + Guid.NewGuid().ToString("N")[..8];
        using var store = Store(bucket);
        await store.EnsureBucketAsync(CancellationToken.None);
        await store.EnsureBucketAsync(CancellationToken.None); // a second start finds it there
        var token = MediaKeys.NewToken();
        var other = MediaKeys.NewToken();
        var original = TestMedia.Jpeg(40, 30);
        var small = TestMedia.Png(4, 3);

        await store.PutAsync($"{token}/original.jpg", new MemoryStream(original), "image/jpeg", CancellationToken.None);
        await store.PutAsync($"{token}/small.png", new MemoryStream(small), "image/png", CancellationToken.None);
        await store.PutAsync($"{other}/original.jpg", new MemoryStream(original), "image/jpeg", CancellationToken.None);
        var readOriginal = await ReadAsync(store, $"{token}/original.jpg");
        var readSmall = await ReadAsync(store, $"{token}/small.png");
        await store.DeleteTokenAsync(token, CancellationToken.None);

        Assert.Equal(original, readOriginal);
        Assert.Equal(small, readSmall);
        Assert.Null(await ReadAsync(store, $"{token}/original.jpg"));
        Assert.Null(await ReadAsync(store, $"{token}/small.png"));
        Assert.Equal(original, await ReadAsync(store, $"{other}/original.jpg")); // another token's blobs stay
    }

    // s3rver checks a presigned URL's key and expiry (not the SigV4 signature itself, which it leaves unimplemented).
    [Fact]
    public async Task A_presigned_url_is_fetched_over_http_with_its_content_type_until_it_expires()
    {
        var bucket = "social-signed-" + Guid.NewGuid().ToString("N")[..8];
        using var store = Store(bucket, lifetime: TimeSpan.FromSeconds(1));
        await store.EnsureBucketAsync(CancellationToken.None);
        var key = $"{MediaKeys.NewToken()}/original.jpg";
        var photo = TestMedia.Jpeg(64, 48);
        await store.PutAsync(key, new MemoryStream(photo), "image/jpeg", CancellationToken.None);

        var url = store.Url(key, restricted: true);
        var signed = await Http.GetAsync(new Uri(url));
        var strangersKey = await Http.GetAsync(new Uri(url.Replace("Credential=" + S3Server.AccessKey, "Credential=SOMEONEELSE", StringComparison.Ordinal)));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var expired = await Http.GetAsync(new Uri(url));

        Assert.StartsWith(S3Server.Instance.Endpoint + "/" + bucket + "/", url, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal("image/jpeg", signed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(photo, await signed.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Forbidden, strangersKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
    }

    [Fact]
    public async Task A_public_base_url_names_public_media_without_a_signature_and_restricted_media_are_still_presigned()
    {
        var bucket = "social-public-" + Guid.NewGuid().ToString("N")[..8];
        using var store = Store(bucket, publicBaseUrl: $"{S3Server.Instance.Endpoint}/{bucket}/");
        var key = $"{MediaKeys.NewToken()}/small.jpg";

        Assert.Equal($"{S3Server.Instance.Endpoint}/{bucket}/{key}", store.Url(key, restricted: false));
        Assert.Contains("X-Amz-Signature=", store.Url(key, restricted: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_photo_posted_on_the_s3_store_reaches_a_followers_timeline_and_is_served_by_s3()
    {
        using var client = factory.CreateClient();
        var author = await client.NewUserAsync("s3");
        var follower = await client.NewUserAsync("s3");
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{author.Id}/follow", token: follower.AccessToken);
        var media = await client.UploadProcessedAsync(author.AccessToken, TestMedia.Jpeg(900, 600), "a gradient on s3");
        var created = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts",
            new { text = "stored in a bucket", media_ids = new[] { media.GetProperty("id").GetString() } }, author.AccessToken);
        var postId = (await created.JsonAsync()).GetProperty("id").GetString();

        var attachment = await client.FirstHomeAttachmentAsync(follower.AccessToken);

        var original = await Http.GetAsync(new Uri(attachment.GetProperty("url").GetString()!));
        var small = await Http.GetAsync(new Uri(attachment.GetProperty("preview_url").GetString()!));
        using var picture = Image.Load(await original.Content.ReadAsByteArrayAsync());
        var deleted = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/posts/{postId}", token: author.AccessToken);
        var token = attachment.GetProperty("url").GetString()!.Split('/')[4];
        var blobs = Path.Combine(S3Server.Instance.DataDirectory, factory.Bucket);
        var left = true;
        for (var i = 0; i < 100 && left; i++)
        {
            left = Directory.Exists(blobs) && Directory.EnumerateFileSystemEntries(blobs, token + "*", SearchOption.AllDirectories).Any();
            if (left)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("a gradient on s3", attachment.GetProperty("description").GetString());
        Assert.StartsWith(S3Server.Instance.Endpoint + "/" + factory.Bucket + "/", attachment.GetProperty("url").GetString()!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal((900, 600), (picture.Width, picture.Height));
        Assert.True(deleted.IsSuccessStatusCode);
        Assert.False(left, "deleting the post deletes its blobs from the bucket");
    }
}
