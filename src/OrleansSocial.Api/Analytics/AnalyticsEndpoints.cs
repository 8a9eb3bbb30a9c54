using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Analytics;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Posts;
using OrleansSocial.Timelines;

namespace OrleansSocial.Api.Analytics;

public sealed record LinkClickRequest(string? Url);

/// <summary>Insights for authors, and the views the front end reports to the viewer's grain.</summary>
public static class AnalyticsEndpoints
{
    private const int MaxUrlLength = 2048;
    private const int DefaultRangeDays = 28;

    /// <summary>
    /// Tells the signed-in viewer's timeline grain (one one-way call) that it was shown these posts, which counts each as
    /// an impression once a day. Anonymous readers are not counted.
    /// </summary>
    public static void Saw(IGrainFactory grains, ClaimsPrincipal user, IEnumerable<PostView> posts)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(posts);
        var viewer = user.ViewerId();
        if (viewer == 0)
        {
            return;
        }

        var seen = posts.Select(p => new SeenPost(p.Id, p.Author.Id)).Where(p => p.AuthorId != viewer).ToArray();
        if (seen.Length > 0)
        {
            _ = grains.Reference<ITimelineGrain>(viewer).SawPostsAsync(seen);
        }
    }

    public static RouteGroupBuilder MapAnalyticsEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var group = api.MapGroup("").WithTags("Analytics").RequireAuthorization();
        group.MapGet("/posts/{id:guid}/insights", async Task<Results<Ok<PostInsights>, ProblemHttpResult>> (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                await grains.Reference<IInsightsGrain>(0).GetPostInsightsAsync(id, user.AccountId()).ConfigureAwait(false) is { } insights
                    ? TypedResults.Ok(insights)
                    : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such post."))
            .WithName("PostInsights")
            .WithSummary("Your post's impressions (each viewer once a day), reach (distinct viewers), likes, comments, reposts, bookmarks, profile visits and link clicks from it, in total and per day. 404 for anyone else's post.")
            .Produces<PostInsights>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/accounts/me/insights", (string? from, string? to, ClaimsPrincipal user, IGrainFactory grains) =>
            {
                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                var today = DateOnly.FromDateTime(DateTime.UtcNow);
                var last = ParseDay(to, "to", today, errors);
                var first = ParseDay(from, "from", last.AddDays(1 - DefaultRangeDays), errors);
                return errors.Count > 0
                    ? Task.FromResult<IResult>(TypedResults.ValidationProblem(errors, title: "The date range is invalid."))
                    : GrainResults.RunAsync(() => grains.Reference<IInsightsGrain>(0).GetAccountInsightsAsync(user.AccountId(), first, last), i => TypedResults.Ok(i));
            })
            .WithName("AccountInsights")
            .WithSummary("Your account over a date range (from, to: UTC days, yyyy-MM-dd; default the last 28 days): follower growth, impressions, reach, profile visits, story views, per day, and your top posts.")
            .Produces<AccountInsights>().ProducesValidationProblem();
        group.MapPost("/posts/{id:guid}/link_clicks", async Task<IResult> (Guid id, LinkClickRequest request, ClaimsPrincipal user, IGrainFactory grains) =>
            {
                var url = request?.Url;
                if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["url"] = [$"url is an http or https link of at most {MaxUrlLength} characters."] });
                }

                var me = user.AccountId();
                var post = await grains.Reference<IPostGrain>(id).GetAsync(me).ConfigureAwait(false);
                if (post is null)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such post.");
                }

                if (!post.Text.Contains(url, StringComparison.Ordinal))
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["url"] = ["The post has no such link."] });
                }

                _ = grains.Reference<ITimelineGrain>(me).FollowedLinkAsync(new SeenPost(post.Id, post.Author.Id), url);
                return TypedResults.NoContent();
            })
            .WithName("PostLinkClick")
            .WithSummary("Tells that you followed a link in the post (counted for its author once a day per link). 404 when you may not see the post.")
            .Produces(StatusCodes.Status204NoContent).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static DateOnly ParseDay(string? value, string name, DateOnly fallback, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return fallback;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        errors[name] = [$"{name} is a date, yyyy-MM-dd."];
        return fallback;
    }
}
