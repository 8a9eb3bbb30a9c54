using OrleansSocial.Grains.Posts;
using OrleansSocial.Posts;
using Orleans;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Timelines;

/// <summary>Turns timeline entries into what one viewer sees, through the post grains (the visibility policy decides).</summary>
internal static class TimelineRendering
{
    /// <summary>
    /// Renders entries in order, leaving out posts the viewer may not see and reposts by accounts hidden from it, until
    /// <paramref name="limit"/> items are rendered; a chunk at a time, the posts of a chunk in parallel.
    /// </summary>
    public static async Task<List<TimelineItem>> RenderAsync(IGrainFactory grains, long viewer, IEnumerable<TimelineEntry> entries, int limit,
        LocalReader? local = null)
    {
        var items = new List<TimelineItem>(limit);
        using var source = entries.GetEnumerator();
        var chunk = new List<TimelineEntry>(limit);
        while (items.Count < limit)
        {
            chunk.Clear();
            while (chunk.Count < limit - items.Count && source.MoveNext())
            {
                chunk.Add(source.Current);
            }

            if (chunk.Count == 0)
            {
                break;
            }

            // The post grains usually answer at once (inline, from memory): then nothing is awaited or allocated per post.
            var rendering = new ValueTask<TimelineItem?>[chunk.Count];
            List<Task>? pending = null;
            for (var i = 0; i < rendering.Length; i++)
            {
                var rendered = local?.TryRender(chunk[i]) is { } known ? new ValueTask<TimelineItem?>(known.Item) : RenderOneAsync(grains, viewer, chunk[i]);
                if (!rendered.IsCompleted)
                {
                    var task = rendered.AsTask(); // read once here; its result is read again below
                    (pending ??= []).Add(task);
                    rendered = new ValueTask<TimelineItem?>(task);
                }

                rendering[i] = rendered;
            }

            if (pending is not null)
            {
                await Task.WhenAll(pending);
            }

            foreach (var done in rendering)
            {
                if (done.Result is { } item)
                {
                    items.Add(item);
                }
            }
        }

        return items;
    }

    /// <summary>
    /// Pages through a feed read from the tables until <paramref name="page"/>'s limit of visible items is reached
    /// (rows the viewer may not see are skipped, so a page may need more than one read).
    /// </summary>
    public static async Task<IReadOnlyList<TimelineItem>> PageAsync(IGrainFactory grains, long viewer, PageQuery page,
        Func<PageQuery, Task<List<TimelineEntry>>> read)
    {
        var items = new List<TimelineItem>();
        var query = page;
        for (var reads = 0; reads < 5 && items.Count < page.Limit; reads++)
        {
            var rows = await read(query with { Limit = page.Limit });
            var rendered = await RenderAsync(grains, viewer, rows, page.Limit - items.Count);
            items.AddRange(rendered);
            if (rows.Count < page.Limit)
            {
                break;
            }

            // Continue past the rows just read, in the page's direction.
            query = page.MinId is null ? query with { MaxId = rows[^1].Key } : query with { MinId = rows[0].Key };
        }

        return page.MinId is null ? items : [.. items.OrderByDescending(i => i.Key)];
    }

    private static async ValueTask<TimelineItem?> RenderOneAsync(IGrainFactory grains, long viewer, TimelineEntry entry)
    {
        var post = await grains.Reference<IPostGrain>(entry.PostId).GetAsync(viewer);
        if (post is null)
        {
            return null;
        }

        PublicAccount? reposter = null;
        if (entry.RepostedBy is { } by && (reposter = await grains.Reference<IUserGrain>(by).GetAccountAsync(viewer)) is null)
        {
            return null;
        }

        return new TimelineItem(entry.Key, post, reposter);
    }
}

/// <summary>An entry rendered without asking the grains: the item, or null when the reader may not see it.</summary>
internal readonly record struct LocalRendering(TimelineItem? Item);

/// <summary>
/// A home timeline's reader, for rendering entries from this silo's <see cref="LocalViews"/>: with the reader's muted,
/// blocked-either-way (for reposters) and followed accounts (from its grain, once per read), <see cref="LocalViews.TryView"/>
/// decides what the post grain would decide — the same <see cref="VisibilityPolicy"/> — and the post's published view is
/// the one the grain would return. Anything
/// the published views cannot settle (a post or account whose grain is not active here, a quote, flags the post grain
/// does not hold) is left to the grains.
/// </summary>
internal sealed class LocalReader(long id, HashSet<long> muting, HashSet<long> blocked, HashSet<long> followees, LocalViews views)
{
    public HashSet<long> Muting { get; } = muting;

    public LocalRendering? TryRender(TimelineEntry entry)
    {
        // Blocks between the reader and the author are decided there, from the author's published block set.
        if (!views.TryView(entry.PostId, id, followees, out var view))
        {
            return null;
        }

        if (view is null)
        {
            return new LocalRendering(null);
        }

        PublicAccount? reposter = null;
        if (entry.RepostedBy is { } by)
        {
            if (by != id && blocked.Contains(by))
            {
                return new LocalRendering(null);
            }

            if (!views.TryGet(by, out var publishedReposter))
            {
                return null;
            }

            reposter = publishedReposter.Account;
        }

        return new LocalRendering(new TimelineItem(entry.Key, view, reposter));
    }
}
