using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Posts;
using Orleans;

namespace OrleansSocial.Api.Posts;

/// <summary>Body of <c>POST /api/v1/posts/{id}/comments</c>: the text, and the comment it replies to, if any.</summary>
public sealed record CreateCommentRequest([property: LongText] string? Text, string? ParentCommentId);

/// <summary>Body of <c>PATCH /api/v1/posts/{id}/comments/{commentId}</c>.</summary>
public sealed record EditCommentRequest([property: LongText] string? Text);

public sealed record CommentResponse(
    string Id, string PostId, PublicAccountResponse Author, string Text, string? ParentCommentId, DateTimeOffset CreatedAt, DateTimeOffset? EditedAt,
    long RepliesCount, long LikesCount, bool Liked)
{
    public static CommentResponse From(CommentView c) => new(c.Id.ToString(CultureInfo.InvariantCulture), c.PostId.ToString(),
        PublicAccountResponse.From(c.Author), c.Text, c.ParentId?.ToString(CultureInfo.InvariantCulture), c.CreatedAt, c.EditedAt, c.RepliesCount,
        c.LikesCount, c.Liked);
}

/// <summary>Nested comments on posts, under the post's visibility: comments on a post you may not see are 404.</summary>
public static class CommentEndpoints
{
    public static RouteGroupBuilder MapCommentEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var comments = api.MapGroup("/posts/{id:guid}/comments").WithTags("Comments");
        comments.MapGet("/", (Guid id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IPostGrain>(id).GetCommentsAsync(user.ViewerId(), null, page)))
            .AllowAnonymous().WithName("Comments").WithSummary("Top-level comments, newest first, each with its reply count.")
            .Produces<CommentResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        comments.MapGet("/{commentId:long}/replies", (Guid id, long commentId, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                ListAsync(http, page => grains.Reference<IPostGrain>(id).GetCommentsAsync(user.ViewerId(), commentId, page)))
            .AllowAnonymous().WithName("CommentReplies").WithSummary("Direct replies to a comment, newest first.")
            .Produces<CommentResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        comments.MapPost("/", CreateAsync).RequireAuthorization().RequireVerifiedEmail().WithName("CreateComment")
            .WithSummary("Comments on the post, or replies to one of its comments (parent_comment_id).")
            .Produces<CommentResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        comments.MapPatch("/{commentId:long}", (Guid id, long commentId, EditCommentRequest body, ClaimsPrincipal user, IGrainFactory grains, PostOptions options) =>
                PostText.Problem(body.Text, options.MaxLength) is { } problem
                    ? Task.FromResult<IResult>(TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = [problem] }))
                    : GrainResults.RunAsync(() => grains.Reference<IPostGrain>(id).EditCommentAsync(user.AccountId(), commentId, body.Text!),
                        c => TypedResults.Ok(CommentResponse.From(c)), field: "text"))
            .RequireAuthorization().WithName("EditComment").WithSummary("Edits your comment.")
            .Produces<CommentResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        comments.MapDelete("/{commentId:long}", (Guid id, long commentId, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await grains.Reference<IPostGrain>(id).DeleteCommentAsync(user.AccountId(), commentId).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .RequireAuthorization().WithName("DeleteComment").WithSummary("Deletes your comment, or any comment on your post.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        comments.MapPost("/{commentId:long}/like", (Guid id, long commentId, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IPostGrain>(id).LikeCommentAsync(user.AccountId(), commentId), c => TypedResults.Ok(CommentResponse.From(c))))
            .RequireAuthorization().WithName("LikeComment").WithSummary("Likes the comment. Idempotent.")
            .Produces<CommentResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        comments.MapPost("/{commentId:long}/unlike", (Guid id, long commentId, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IPostGrain>(id).UnlikeCommentAsync(user.AccountId(), commentId), c => TypedResults.Ok(CommentResponse.From(c))))
            .RequireAuthorization().WithName("UnlikeComment").WithSummary("Takes the like back. Idempotent.")
            .Produces<CommentResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> CreateAsync(Guid id, CreateCommentRequest body, ClaimsPrincipal user, IGrainFactory grains, PostOptions options)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (PostText.Problem(body.Text, options.MaxLength) is { } problem)
        {
            errors["text"] = [problem];
        }

        long? parent = null;
        if (body.ParentCommentId is not null)
        {
            if (long.TryParse(body.ParentCommentId, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                parent = parsed;
            }
            else
            {
                errors["parent_comment_id"] = ["parent_comment_id is not a comment id."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The comment was not added.");
        }

        return await GrainResults.RunAsync(() => grains.Reference<IPostGrain>(id).AddCommentAsync(user.AccountId(), body.Text!, parent),
            c => TypedResults.Created($"/api/v1/posts/{id}/comments/{c.Id}", CommentResponse.From(c)), field: "parent_comment_id").ConfigureAwait(false);
    }

    private static Task<IResult> ListAsync(HttpContext http, Func<OrleansSocial.Users.PageQuery, Task<IReadOnlyList<CommentView>>> list) =>
        PageRequest.ServeAsync(http, list, c => c.Id, CommentResponse.From);
}
