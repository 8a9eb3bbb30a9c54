using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Media;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Media;

/// <summary>The multipart form of <c>PATCH /api/v1/accounts/me</c> (for the API description).</summary>
public sealed record ProfileForm(string? DisplayName, [property: LongText] string? Bio, string? Website, bool? IsPrivate, string? DmPolicy, IFormFile? Avatar, IFormFile? Header);

/// <summary>Avatars and headers: uploaded with the profile form, processed at once, the replaced picture's blobs deleted.</summary>
public static class ProfileImageEndpoints
{
    public const string Avatar = MediaPurposes.Avatar;
    public const string Header = MediaPurposes.Header;

    internal static async Task<IResult> UpdateMeWithImagesAsync(HttpContext http, ClaimsPrincipal user, IGrainFactory grains, MediaService media, MediaOptions options,
        IMediaStore store)
    {
        var me = user.AccountId();
        try
        {
            await using var form = await MultipartUpload.ReadAsync(http.Request, media, [Avatar, Header], options.MaxImageBytes, http.RequestAborted).ConfigureAwait(false);
            bool? isPrivate = null;
            if (form.Fields.TryGetValue("is_private", out var flag))
            {
                if (!bool.TryParse(flag, out var parsed))
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["is_private"] = ["is_private is true or false."] });
                }

                isPrivate = parsed;
            }

            var unknown = form.Fields.Keys.FirstOrDefault(k => k is not ("display_name" or "bio" or "website" or "is_private" or "dm_policy"));
            if (unknown is not null)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [unknown] = [$"{unknown} is not a profile field."] });
            }

            // The text rule every JSON body gets from ClientInput, for the form's fields: only the bio takes line breaks.
            var refused = form.Fields.Select(f => (f.Key, Problem: OrleansSocial.Text.ClientText.Problem(f.Value, longText: f.Key == "bio")))
                .Where(f => f.Problem is not null).ToDictionary(f => f.Key, f => new[] { f.Problem! }, StringComparer.Ordinal);
            if (refused.Count > 0)
            {
                return TypedResults.ValidationProblem(refused, title: "Some text in the request is not accepted.");
            }

            var update = new ProfileUpdate(form.Fields.GetValueOrDefault("display_name"), form.Fields.GetValueOrDefault("bio"), form.Fields.GetValueOrDefault("website"),
                isPrivate, form.Fields.GetValueOrDefault("dm_policy"));
            var errors = ProfileRules.Validate(update);
            if (errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors, title: "The profile was not changed.");
            }

            // Pictures first (each processed and stored before the account names it), then the text fields.
            foreach (var purpose in new[] { Avatar, Header })
            {
                if (form.Take(purpose) is { } file)
                {
                    var row = await media.UploadProfileImageAsync(me, purpose, new Upload(file.TempPath, file.Length, file.ContentType, "", 0, 0), http.RequestAborted)
                        .ConfigureAwait(false);
                    var change = await grains.GetGrain<IUserGrain>(me).SetProfileImageAsync(purpose, row.Id).ConfigureAwait(false);
                    await ReleaseAsync(change.ReleasedToken, store).ConfigureAwait(false);
                }
            }

            var result = await AccountEndpoints.UpdateProfileAsync(update, user, grains).ConfigureAwait(false);
            return result.Result;
        }
        catch (MediaRejectedException e)
        {
            return MediaEndpoints.Rejected(e);
        }
        catch (MediaBusyException e)
        {
            return MediaEndpoints.Busy(http, e);
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The profile was changed at the same time; read it and try again.");
        }
    }

    internal static async Task<IResult> RemoveAsync(ClaimsPrincipal user, IGrainFactory grains, IServiceProvider services, string purpose)
    {
        var change = await grains.GetGrain<IUserGrain>(user.AccountId()).SetProfileImageAsync(purpose, null).ConfigureAwait(false);
        if (services.GetService<IMediaStore>() is { } store)
        {
            await ReleaseAsync(change.ReleasedToken, store).ConfigureAwait(false);
        }

        return TypedResults.Ok(AccountResponse.From(change.Profile));
    }

    // The replaced picture's blobs go now; its row (marked deleted) with the next sweep, which also retries these blobs.
    private static async Task ReleaseAsync(string? token, IMediaStore store)
    {
        if (token is not null)
        {
            await store.DeleteTokenAsync(token, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
