using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Media;

namespace OrleansSocial.Api.Media;

/// <summary>Body of <c>PUT /api/v1/media/{id}</c>: alt text and focal point ("x,y", each −1..1); absent fields stay.</summary>
public sealed record UpdateMediaRequest([property: LongText] string? Description, string? Focus);

/// <summary>
/// Uploads (<c>/api/v1/media</c>), and the local store's blobs and default pictures (<c>/media/…</c>): public media to
/// anyone, restricted media only with a valid signature (handed to those who may see them).
/// </summary>
public static class MediaEndpoints
{
    public static RouteGroupBuilder MapMediaEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var media = api.MapGroup("/media").WithTags("Media");
        media.MapPost("/", UploadAsync).RequireAuthorization().RequireVerifiedEmail().RequireRateLimiting(RateLimiting.UploadPolicy).WithName("UploadMedia")
            .WithSummary("Uploads a picture or video (multipart: file, description, focus). 200 when processed; 202 (url null) while a large one is processed.")
            .Produces<MediaAttachmentResponse>().Produces<MediaAttachmentResponse>(StatusCodes.Status202Accepted).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        media.MapGet("/{id:guid}", GetAsync).RequireAuthorization().WithName("GetMedia")
            .WithSummary("Your upload: 200 processed, 206 still processing, 422 when processing failed; 404 for anyone else's.")
            .Produces<MediaAttachmentResponse>().Produces<MediaAttachmentResponse>(StatusCodes.Status206PartialContent).ProducesProblem(StatusCodes.Status404NotFound);
        media.MapPut("/{id:guid}", UpdateAsync).RequireAuthorization().WithName("UpdateMedia")
            .WithSummary("Changes the alt text or focal point of your upload until it is attached (then edit the post).")
            .Produces<MediaAttachmentResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>Serves the local store's blobs at <c>/media/{token}/{name}</c> and the default pictures at <c>/media/default/…</c>.</summary>
    public static IEndpointRouteBuilder MapMediaFiles(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/media/default/{name}", (string name) => name switch
            {
                "avatar.png" => Results.File(DefaultAvatar.Value, "image/png", entityTag: new EntityTagHeaderValue("\"default-avatar\"")),
                "header.png" => Results.File(DefaultHeader.Value, "image/png", entityTag: new EntityTagHeaderValue("\"default-header\"")),
                _ => Results.NotFound(),
            })
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers.CacheControl = "public, max-age=86400";
                return await next(context).ConfigureAwait(false);
            })
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/media/{token}/{name}", ServeAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static readonly Lazy<byte[]> DefaultAvatar = new(() => ImageProcessor.Placeholder(new MediaSize(ImageProcessor.AvatarSide, ImageProcessor.AvatarSide), 0x9a, 0xa5, 0xb1));
    private static readonly Lazy<byte[]> DefaultHeader = new(() => ImageProcessor.Placeholder(ImageProcessor.HeaderSize, 0x2f, 0x3b, 0x48));

    private static async Task<IResult> UploadAsync(HttpContext http, ClaimsPrincipal user, MediaService media, MediaOptions options)
    {
        try
        {
            await using var form = await MultipartUpload.ReadAsync(http.Request, media, ["file"], Math.Max(options.MaxImageBytes, options.MaxVideoBytes),
                http.RequestAborted).ConfigureAwait(false);
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var description = form.Fields.GetValueOrDefault("description") ?? "";
            if (description.Length > MediaDescription.MaxLength)
            {
                errors["description"] = [$"An alt text is at most {MediaDescription.MaxLength} characters."];
            }
            else if (OrleansSocial.Text.ClientText.Problem(description, longText: true) is { } problem && description.Length > 0)
            {
                errors["description"] = [problem];
            }

            var (focusX, focusY) = (0f, 0f);
            if (form.Fields.TryGetValue("focus", out var focus) && !TryParseFocus(focus, out focusX, out focusY))
            {
                errors["focus"] = ["focus is \"x,y\" with each between -1 and 1."];
            }

            if (!form.Files.ContainsKey("file"))
            {
                errors["file"] = ["The upload needs a file part named file."];
            }

            if (errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors, title: "The upload was not accepted.");
            }

            var file = form.Take("file")!;
            var row = await media.UploadAsync(user.AccountId(), new Upload(file.TempPath, file.Length, file.ContentType, description, focusX, focusY),
                http.RequestAborted).ConfigureAwait(false);
            var response = MediaAttachmentResponse.From(row);
            return row.Status == "ready" ? TypedResults.Ok(response) : TypedResults.Accepted($"/api/v1/media/{row.Id}", response);
        }
        catch (MediaRejectedException e)
        {
            return Rejected(e);
        }
        catch (MediaBusyException e)
        {
            return Busy(http, e);
        }
    }

    /// <summary>503 with Retry-After: the processing queue is full.</summary>
    public static IResult Busy(HttpContext http, MediaBusyException e)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(e);
        http.Response.Headers.RetryAfter = "5";
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: e.Message);
    }

    /// <summary>The problem for a refused upload: 413 for size, 422 (or what it says) for content, naming the field.</summary>
    public static IResult Rejected(MediaRejectedException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return TypedResults.Problem(new Microsoft.AspNetCore.Http.HttpValidationProblemDetails(
            new Dictionary<string, string[]> { [e.Field] = [e.Message] })
        {
            Status = e.StatusCode,
            Title = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The upload is too large." : "The upload was not accepted.",
            Detail = e.Message,
        });
    }

    private static async Task<IResult> GetAsync(Guid id, ClaimsPrincipal user, MediaRepository repository, CancellationToken ct)
    {
        var row = await repository.GetAsync(id, ct).ConfigureAwait(false);
        if (row is null || row.AccountId != user.AccountId() || row.Purpose != MediaPurposes.Attachment)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such upload.");
        }

        return row.Status switch
        {
            "ready" => TypedResults.Ok(MediaAttachmentResponse.From(row)),
            "processing" => TypedResults.Json(MediaAttachmentResponse.From(row), statusCode: StatusCodes.Status206PartialContent),
            _ => Rejected(new MediaRejectedException(row.Error ?? "The upload could not be processed.", "file")),
        };
    }

    private static async Task<IResult> UpdateAsync(Guid id, UpdateMediaRequest body, ClaimsPrincipal user, MediaRepository repository, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.Description is { Length: > MediaDescription.MaxLength })
        {
            errors["description"] = [$"An alt text is at most {MediaDescription.MaxLength} characters."];
        }

        float? x = null, y = null;
        if (body.Focus is not null)
        {
            if (TryParseFocus(body.Focus, out var fx, out var fy))
            {
                (x, y) = (fx, fy);
            }
            else
            {
                errors["focus"] = ["focus is \"x,y\" with each between -1 and 1."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The upload was not changed.");
        }

        var me = user.AccountId();
        if (await repository.UpdateAsync(id, me, body.Description, x, y, ct).ConfigureAwait(false) is { } row)
        {
            return TypedResults.Ok(MediaAttachmentResponse.From(row));
        }

        return await repository.GetAsync(id, ct).ConfigureAwait(false) is { PostId: not null } attached && attached.AccountId == me
            ? Rejected(new MediaRejectedException("The upload is attached to a post; change its alt text by editing the post.", "id"))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such upload.");
    }

    private static bool TryParseFocus(string? text, out float x, out float y)
    {
        (x, y) = (0, 0);
        return text?.Split(',') is [var a, var b]
            && float.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out x) && float.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out y)
            && x is >= -1 and <= 1 && y is >= -1 and <= 1;
    }

    // Public media to anyone (long-cached, immutable: a key's content never changes); restricted media with a signature.
    private static async Task<IResult> ServeAsync(string token, string name, HttpContext http, IMediaStore store, MediaUrlSigner signer, MediaAccessCache access)
    {
        var key = token + "/" + name;
        if (store is not LocalMediaStore local || !MediaKeys.IsValid(key))
        {
            return Results.NotFound();
        }

        var query = http.Request.Query;
        var signed = query.ContainsKey("signature") && signer.Verify(key, query["expires"], query["kid"], query["signature"]);
        if (!signed && !await access.IsPublicAsync(token, http.RequestAborted).ConfigureAwait(false))
        {
            return Results.NotFound();
        }

        var path = local.PathOf(key);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return Results.NotFound();
        }

        http.Response.Headers.CacheControl = signed ? "private, max-age=3600" : "public, max-age=31536000, immutable";
        return Results.File(path, MediaKeys.ContentType(key), lastModified: info.LastWriteTimeUtc,
            entityTag: new EntityTagHeaderValue("\"" + token + "-" + info.Length.ToString(CultureInfo.InvariantCulture) + "\""), enableRangeProcessing: true);
    }
}

/// <summary>
/// Whether a blob token may be served without a signature, remembered for <see cref="Lifetime"/>: a post made
/// followers-only or an account made private stops serving unsigned URLs within that time.
/// </summary>
public sealed class MediaAccessCache(MediaRepository repository, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<string, (bool Public, long Until)> _known = new(StringComparer.Ordinal);

    public async ValueTask<bool> IsPublicAsync(string token, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (_known.TryGetValue(token, out var known) && known.Until > now)
        {
            return known.Public;
        }

        var access = await repository.AccessAsync(token, cancellationToken).ConfigureAwait(false);
        if (_known.Count >= Capacity)
        {
            _known.Clear();
        }

        _known[token] = (access.Public, now + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
        return access.Public;
    }
}

/// <summary>Readies the blob store at start: the S3 bucket is created when configured to be (development, tests).</summary>
internal sealed class MediaStoreStartup(IMediaStore store, MediaOptions options) : Microsoft.Extensions.Hosting.IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is S3MediaStore s3 && options.S3.CreateBucket)
        {
            await s3.EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        }

        MediaLinks.PublicUrlsStable = store is LocalMediaStore || !string.IsNullOrWhiteSpace(options.S3.PublicBaseUrl);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
