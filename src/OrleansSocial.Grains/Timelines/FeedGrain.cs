using OrleansSocial.Posts;
using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Timelines;

/// <summary>Profile, hashtag and search feeds and threads: rows from the tables, rendered through the post grains.</summary>
[StatelessWorker]
public sealed class FeedGrain(TimelineStore store) : Grain, IFeedGrain
{
    private const int MaxAncestors = 20;
    private const int MaxDescendants = 40;

    public async Task<IReadOnlyList<TimelineItem>> ProfileAsync(long accountId, long viewerId, PageQuery page, bool excludeReposts, bool onlyMedia)
    {
        // Across a block either way the account is missing, as its profile is.
        if (await GrainFactory.Reference<IUserGrain>(accountId).GetAccountAsync(viewerId) is null)
        {
            throw new KeyNotFoundException("No such account.");
        }

        return await TimelineRendering.PageAsync(GrainFactory, viewerId, page, q => store.AccountEntriesAsync(accountId, q, excludeReposts, onlyMedia));
    }

    public Task<IReadOnlyList<TimelineItem>> TagAsync(string tag, long viewerId, PageQuery page) =>
        TimelineRendering.PageAsync(GrainFactory, viewerId, page, q => store.TagEntriesAsync(tag, q));

    public async Task<IReadOnlyList<TimelineItem>> SearchPostsAsync(string query, long viewerId, bool bestMatch, PageQuery page, int offset)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (!bestMatch)
        {
            return await TimelineRendering.PageAsync(GrainFactory, viewerId, page, q => store.SearchAsync(query, viewerId, false, q, 0));
        }

        // Best match pages by offset; the query already applied the visibility rules, rendering re-checks them.
        var rows = await store.SearchAsync(query, viewerId, true, page, offset);
        return await TimelineRendering.RenderAsync(GrainFactory, viewerId, rows, page.Limit);
    }

    public Task<IReadOnlyList<TagCount>> SearchTagsAsync(string prefix, long viewerId, int limit) => store.TagsAsync(prefix, viewerId, limit);

    public async Task<IReadOnlyList<PostView>> TrendingPostsAsync(long viewerId, int limit, int offset)
    {
        var ids = await GrainFactory.Reference<ITrendsGrain>(0).GetPostsAsync(limit, offset);
        return (await Task.WhenAll(ids.Select(id => GrainFactory.Reference<IPostGrain>(id).GetAsync(viewerId)))).OfType<PostView>().ToArray();
    }

    public async Task<PostContext> ContextAsync(Guid postId, long viewerId)
    {
        _ = await GrainFactory.Reference<IPostGrain>(postId).GetUnembeddedAsync(viewerId) ?? throw new KeyNotFoundException("No such post.");
        var ancestors = new List<PostView>();
        var seen = new HashSet<Guid> { postId };
        var quoted = await GrainFactory.Reference<IPostGrain>(postId).GetQuotedIdAsync();
        while (quoted is { } next && ancestors.Count < MaxAncestors && seen.Add(next)
               && await GrainFactory.Reference<IPostGrain>(next).GetUnembeddedAsync(viewerId) is { } ancestor)
        {
            ancestors.Add(ancestor);
            quoted = await GrainFactory.Reference<IPostGrain>(next).GetQuotedIdAsync();
        }

        ancestors.Reverse();
        var quoting = await store.QuotesOfAsync(postId, MaxDescendants);
        var descendants = (await Task.WhenAll(quoting.Select(id => GrainFactory.Reference<IPostGrain>(id).GetUnembeddedAsync(viewerId))))
            .OfType<PostView>().ToArray();
        return new PostContext(ancestors, descendants);
    }
}
