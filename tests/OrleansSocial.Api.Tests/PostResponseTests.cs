using OrleansSocial.Api.Posts;
using OrleansSocial.Posts;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Tests;

public sealed class PostResponseTests
{
    private static PostView View(bool liked = false, string text = "hello") =>
        new(Guid.NewGuid(), new PublicAccount(7, "author", "Author", "", "", false, DateTimeOffset.UnixEpoch, 1, 2, 3), text, PostVisibility.Public,
            null, ["tag"], [], DateTimeOffset.UnixEpoch, null, new PostCounts(1, 2, 3, 4), liked, false, false);

    [Fact]
    public void A_view_without_flags_is_rendered_once_and_the_response_shared()
    {
        var view = View();

        var first = PostResponse.From(view);
        var second = PostResponse.From(view);
        var equalButOther = PostResponse.From(view with { });

        Assert.Same(first, second);
        Assert.NotSame(first, equalButOther);
        Assert.Equal(first, equalButOther);
    }

    [Fact]
    public void A_view_with_the_viewers_flags_is_rendered_with_them_and_not_kept()
    {
        var view = View(liked: true);

        var first = PostResponse.From(view);
        var second = PostResponse.From(view);

        Assert.NotSame(first, second);
        Assert.True(first.Liked);
        Assert.Equal((1, 4), (first.LikesCount, first.CommentsCount));
    }
}
