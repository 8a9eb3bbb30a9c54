using OrleansSocial.Stories;

namespace OrleansSocial.Grains.Users;

// The account's live stories, held for trays and the account's story list: read from the stories table at first need
// (the truth), then kept by what the story grains tell (a story went live, a story ended), with expired ones left out at
// every read — so a story whose ending was not yet told is not shown past its expiry either.
public sealed partial class UserGrain
{
    private List<LiveStory>? _liveStories;

    // The close-friends list, read at first need (at most CloseFriends.Capacity ids) and kept while the grain is active:
    // changed by this grain's own add/remove, and dropped whenever a relationship of this account changes (a block
    // takes accounts off the list in the database).
    private HashSet<long>? _closeFriends;

    public async Task<bool> IsCloseFriendAsync(long accountId)
    {
        _closeFriends ??= await relationships.CloseFriendIdsAsync(Id, default);
        return _closeFriends.Contains(accountId);
    }

    // The readers whose trays hold this account's stories (as this grain answered them): told when they change. Up to
    // the number of followers beyond which posts are merged at read rather than pushed; trays past it ask at every read.
    private HashSet<long>? _trays;

    public async Task<FollowedStories> GetStoriesForFollowerAsync(long viewerId)
    {
        var watched = WatchTray(viewerId);
        var live = await GetLiveStoriesAsync();
        if (live.Count == 0 || await GetAccountAsync(viewerId) is not { } author)
        {
            return new FollowedStories([], watched);
        }

        var closeFriend = viewerId == Id || (live.Any(s => s.Audience == StoryAudience.CloseFriends) && await IsCloseFriendAsync(viewerId));
        return new FollowedStories([.. live.Where(s => StoryAudience.CanView(s.Audience, viewerId == Id, author.FollowersOnly, follows: true, closeFriend))
            .Select(s => new StoryView(s.Id, author, s.Media, s.Caption, s.LinkUrl, s.Audience, s.CreatedAt, s.ExpiresAt) { Tags = s.Tags, Mentions = s.Mentions })],
            watched);
    }

    private bool WatchTray(long reader)
    {
        _trays ??= [];
        return _trays.Contains(reader) || (_trays.Count < timelineOptions.CelebrityFollowers && _trays.Add(reader));
    }

    // What this account shows in trays changed (a story posted or ended, the close-friends list, a relationship): the
    // trays holding it ask again at their next read. One-way messages; a lost one is made good by the tray's lifetime.
    private void TellTrays()
    {
        if (_trays is not { Count: > 0 } trays)
        {
            return;
        }

        foreach (var reader in trays)
        {
            GrainFactory.GetGrain<IStoryTrayGrain>(reader).AccountChangedAsync(Id).Ignore();
        }

        trays.Clear();
    }

    public async Task<IReadOnlyList<LiveStory>> GetLiveStoriesAsync()
    {
        var now = time.GetUtcNow();
        _liveStories ??= await stories.LiveAsync(Id, now);
        _liveStories.RemoveAll(s => s.ExpiresAt <= now);
        return [.. _liveStories];
    }

    public async Task AddLiveStoryAsync(LiveStory story)
    {
        ArgumentNullException.ThrowIfNull(story);
        if (_liveStories is null)
        {
            _liveStories = await stories.LiveAsync(Id, time.GetUtcNow()); // already has it: it committed before it told
        }
        else if (!_liveStories.Exists(s => s.Id == story.Id))
        {
            _liveStories.Add(story);
            _liveStories.Sort((a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : a.Id.CompareTo(b.Id));
        }

        TellTrays();
    }

    public Task RemoveLiveStoryAsync(Guid storyId)
    {
        _liveStories?.RemoveAll(s => s.Id == storyId);
        _highlights = null; // a deleted story leaves its highlights
        TellTrays();
        return Task.CompletedTask;
    }

    // The account's highlights, read at first need and kept while the grain is active: every change goes through this
    // grain, and a story's end tells it (RemoveLiveStoryAsync).
    private List<Highlight>? _highlights;

    public async Task<IReadOnlyList<Highlight>> GetHighlightsAsync(long viewerId)
    {
        await EnsureListVisibleAsync(viewerId);
        _highlights ??= await highlights.ListAsync(Id);
        if (viewerId == Id || !_highlights.Exists(h => h.Stories.Any(s => s.Audience == StoryAudience.CloseFriends)))
        {
            return [.. _highlights];
        }

        // Close-friends stories stay with close friends; a highlight of nothing else is not shown to anyone else.
        var closeFriend = await IsCloseFriendAsync(viewerId);
        return [.. _highlights
            .Select(h => closeFriend ? h : h with { Stories = [.. h.Stories.Where(s => s.Audience != StoryAudience.CloseFriends)] })
            .Where(h => h.Stories.Count > 0)];
    }

    public async Task<Highlight> CreateHighlightAsync(HighlightChange change)
    {
        var id = Guid.CreateVersion7();
        await highlights.SaveAsync(Id, id, Checked(change), create: true, time.GetUtcNow());
        return await HighlightAsync(id);
    }

    public async Task<Highlight> UpdateHighlightAsync(Guid id, HighlightChange change)
    {
        await highlights.SaveAsync(Id, id, Checked(change), create: false, time.GetUtcNow());
        return await HighlightAsync(id);
    }

    public async Task DeleteHighlightAsync(Guid id)
    {
        var deleted = await highlights.DeleteAsync(Id, id, time.GetUtcNow());
        _highlights = null;
        if (!deleted)
        {
            throw new KeyNotFoundException("No such highlight.");
        }
    }

    // The highlight as saved, read again with the rest.
    private async Task<Highlight> HighlightAsync(Guid id)
    {
        _highlights = await highlights.ListAsync(Id);
        return _highlights.Find(h => h.Id == id) ?? throw new KeyNotFoundException("No such highlight.");
    }

    private HighlightChange Checked(HighlightChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var title = change.Title.Trim();
        if (title.Length == 0 || title.Length > storyOptions.MaxHighlightTitleLength || title.Any(char.IsControl))
        {
            throw new ArgumentException($"A highlight's title is 1 to {storyOptions.MaxHighlightTitleLength} characters on one line.", "title");
        }

        return change with { Title = title };
    }
}
