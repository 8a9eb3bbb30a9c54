using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Posts;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Api.Timelines;
using OrleansSocial.Posts;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Tests;

public sealed class PostResponseTests
{
    private static readonly PublicAccount Author = new(7, "author", "Author <b>", "bio \"quoted\"", "https://example.org/?a=1&b=2", false,
        DateTimeOffset.UnixEpoch, 1, 2, 3);

    private static PostView View(bool liked = false, string text = "hello", PostView? quote = null) =>
        new(Guid.NewGuid(), Author, text, PostVisibility.Public, quote, ["tag", "café"], [new Mention(9, "bob")],
            new DateTimeOffset(2026, 11, 23, 8, 6, 36, TimeSpan.Zero).AddTicks(1234567), null, new PostCounts(1, 2, 3, 4), liked, false, false);

    private static async Task<string> WriteAsync<T>(T value)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        await ApiResults.Ok(value).ExecuteAsync(context);
        return System.Text.Encoding.UTF8.GetString(body.ToArray());
    }

    private static PostView Kept(PostView view)
    {
        SharedPostViews.Keep(view);
        return view;
    }

    [Fact]
    public void A_view_a_grain_shares_is_rendered_once_and_the_response_shared()
    {
        var view = Kept(View());

        var first = PostResponse.From(view);
        var second = PostResponse.From(view);
        var equalButOther = PostResponse.From(view with { });

        Assert.Same(first, second);
        Assert.NotSame(first, equalButOther);
        Assert.Equal(JsonSerializer.Serialize(first, ApiJsonContext.Default.PostResponse), JsonSerializer.Serialize(equalButOther, ApiJsonContext.Default.PostResponse));
    }

    [Fact]
    public void A_view_no_grain_here_shares_is_rendered_for_its_reader_and_not_kept()
    {
        var fromAnotherSilo = View();
        var withFlags = View(liked: true);

        var first = PostResponse.From(fromAnotherSilo);
        var second = PostResponse.From(fromAnotherSilo);
        var flagged = PostResponse.From(withFlags);

        Assert.NotSame(first, second);
        Assert.Null(PostResponse.SharedJsonOf(first));
        Assert.True(flagged.Liked);
        Assert.Equal((1, 4), (flagged.LikesCount, flagged.CommentsCount));
    }

    [Fact]
    public async Task A_shared_post_is_written_exactly_as_the_generated_writer_writes_it()
    {
        var shared = PostResponse.From(Kept(View(text: "héllo \"world\" <script> 👋 #tag @bob", quote: View(text: "quoted"))));
        var own = PostResponse.From(View(liked: true, text: "mine"));
        var items = new[] { new TimelineItemResponse("2", shared, null), new TimelineItemResponse("1", own, PublicAccountResponse.From(Author)) };

        var written = await WriteAsync(items);

        Assert.NotNull(PostResponse.SharedJsonOf(shared));
        Assert.Null(PostResponse.SharedJsonOf(own));
        Assert.Equal(JsonSerializer.Serialize(items, ApiJsonContext.Default.TimelineItemResponseArray), written);
        Assert.Equal(JsonSerializer.Serialize(shared, ApiJsonContext.Default.PostResponse), await WriteAsync(shared));
    }
}
