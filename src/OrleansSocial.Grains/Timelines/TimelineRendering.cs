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
    public static async Task<List<TimelineItem>> RenderAsync(IGrainFactory grains, long viewer, IEnumerable<TimelineEntry> entries, int limit)
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
                var rendered = RenderOneAsync(grains, viewer, chunk[i]);
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
        var post = await grains.GetGrain<IPostGrain>(entry.PostId).GetAsync(viewer);
        if (post is null)
        {
            return null;
        }

        PublicAccount? reposter = null;
        if (entry.RepostedBy is { } by && (reposter = await grains.GetGrain<IUserGrain>(by).GetAccountAsync(viewer)) is null)
        {
            return null;
        }

        return new TimelineItem(entry.Key, post, reposter);
    }
}
