using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Media;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Stories;

/// <summary>Body of <c>POST /api/v1/highlights</c> and <c>PUT /api/v1/highlights/{id}</c>: a title and your stories in order.</summary>
public sealed record HighlightRequest(string? Title, string[]? StoryIds);

/// <summary>A story kept in a highlight (media URLs signed, as every story's are).</summary>
public sealed record HighlightStoryResponse(string Id, MediaAttachmentResponse Media, string Caption, string? LinkUrl, string Audience, DateTimeOffset CreatedAt);

/// <summary>A highlight on a profile: its title and stories in order.</summary>
public sealed record HighlightResponse(string Id, string AccountId, string Title, IReadOnlyList<HighlightStoryResponse> Stories, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static HighlightResponse From(Highlight h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return new(h.Id.ToString(), h.OwnerId.ToString(System.Globalization.CultureInfo.InvariantCulture), h.Title,
            [.. h.Stories.Select(s => new HighlightStoryResponse(s.Id.ToString(), MediaAttachmentResponse.From(s.Media, restricted: true), s.Caption, s.LinkUrl,
                s.Audience, s.CreatedAt))], h.CreatedAt, h.UpdatedAt);
    }
}

/// <summary>Highlights: named, ordered collections of an account's past stories on its profile.</summary>
public static class HighlightEndpoints
{
    public static RouteGroupBuilder MapHighlightEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var highlights = api.MapGroup("/highlights").WithTags("Stories").RequireAuthorization();
        highlights.MapPost("/", (HighlightRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                Change(body, change => GrainResults.RunAsync(() => grains.GetGrain<IUserGrain>(user.AccountId()).CreateHighlightAsync(change),
                    h => TypedResults.Created($"/api/v1/highlights/{h.Id}", HighlightResponse.From(h)), "story_ids")))
            .WithName("CreateHighlight").WithSummary("Keeps your stories (live or expired, in this order) on your profile under a title; their media outlive the stories.")
            .Produces<HighlightResponse>(StatusCodes.Status201Created).ProducesValidationProblem();
        highlights.MapPut("/{id:guid}", (Guid id, HighlightRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                Change(body, change => GrainResults.RunAsync(() => grains.GetGrain<IUserGrain>(user.AccountId()).UpdateHighlightAsync(id, change),
                    h => TypedResults.Ok(HighlightResponse.From(h)), "story_ids")))
            .WithName("UpdateHighlight").WithSummary("Replaces your highlight's title and stories; expired stories it drops (and no other highlight keeps) lose their media.")
            .Produces<HighlightResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        highlights.MapDelete("/{id:guid}", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await grains.GetGrain<IUserGrain>(user.AccountId()).DeleteHighlightAsync(id).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .WithName("DeleteHighlight").WithSummary("Deletes your highlight; expired stories no other highlight keeps lose their media.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/accounts/{id:long}/highlights", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.GetGrain<IUserGrain>(id).GetHighlightsAsync(user.AccountId()),
                    list => TypedResults.Ok(list.Select(HighlightResponse.From).ToArray())))
            .RequireAuthorization().WithTags("Stories").WithName("AccountHighlights")
            .WithSummary("The account's highlights, newest first: for everyone if it is public, its approved followers if private (403 otherwise); 404 across a block.")
            .Produces<HighlightResponse[]>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static Task<IResult> Change(HighlightRequest body, Func<HighlightChange, Task<IResult>> save)
    {
        var ids = new List<Guid>();
        foreach (var raw in body.StoryIds ?? [])
        {
            if (!Guid.TryParse(raw, out var id))
            {
                return Task.FromResult<IResult>(TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["story_ids"] = ["story_ids are ids of your stories."] }, title: "The highlight was not saved."));
            }

            ids.Add(id);
        }

        return save(new HighlightChange(body.Title ?? "", ids));
    }
}
