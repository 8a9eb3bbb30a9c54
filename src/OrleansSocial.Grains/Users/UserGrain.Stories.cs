using OrleansSocial.Stories;

namespace OrleansSocial.Grains.Users;

// The account's live stories, held for trays and the account's story list: read from the stories table at first need
// (the truth), then kept by what the story grains tell (a story went live, a story ended), with expired ones left out at
// every read — so a story whose ending was not yet told is not shown past its expiry either.
public sealed partial class UserGrain
{
    private List<LiveStory>? _liveStories;

    public Task<bool> IsCloseFriendAsync(long accountId) => relationships.IsCloseFriendAsync(Id, accountId, default);

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
    }

    public Task RemoveLiveStoryAsync(Guid storyId)
    {
        _liveStories?.RemoveAll(s => s.Id == storyId);
        return Task.CompletedTask;
    }
}
