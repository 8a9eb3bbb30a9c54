using System.Collections.Concurrent;
using OrleansSocial.Posts;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Posts;

/// <summary>
/// What a post grain last showed every reader with no flags of their own, and how to work out a reader's flags.
/// Published by the grain when it builds that view; withdrawn as soon as the post, its counters or who reacted change.
/// </summary>
public sealed record LocalPost(PostView Plain, long AuthorId, Guid? QuoteOf, Engagement Likes, Engagement Reposts, Engagement Bookmarks);

/// <summary>
/// An account as its user grain shows it to anyone it has no block with, and the accounts a block stands between it and
/// (either way; sorted), as of the grain's last change.
/// </summary>
public sealed record LocalAccount(PublicAccount Account, long[] BlockedEitherWay)
{
    /// <summary>What the user grain's <c>GetAccountAsync(viewer)</c> answers: null across a block.</summary>
    public PublicAccount? For(long viewer) =>
        viewer != 0 && viewer != Account.Id && Array.BinarySearch(BlockedEitherWay, viewer) >= 0 ? null : Account;
}

/// <summary>
/// The read model this silo's grains publish for readers in the same silo: each post grain's shared view and each user
/// grain's public account and reader facts (<see cref="IUserGrain.GetReaderFactsAsync"/>), as they would answer now. A home timeline renders an entry from here when both the post's and
/// its author's grains are active in this silo and have published — no grain call — and asks the grains otherwise. An
/// entry exists only while its grain is active here and unchanged since it published: the grain withdraws it in the
/// same turn that changes it, and when it deactivates, so what is read here is what the grain would answer.
/// </summary>
public sealed class LocalViews : ILocalPostReader
{
    private readonly ConcurrentDictionary<Guid, LocalPost> _posts = new();
    private readonly ConcurrentDictionary<long, LocalAccount> _accounts = new();
    private readonly ConcurrentDictionary<long, (ReaderFacts Facts, DateTimeOffset ValidUntil)> _readers = new();

    public void Publish(Guid post, LocalPost view) => _posts[post] = view;

    public void Withdraw(Guid post) => _posts.TryRemove(post, out _);

    public bool TryGet(Guid post, out LocalPost view) => _posts.TryGetValue(post, out view!);

    public void Publish(LocalAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        _accounts[account.Account.Id] = account;
    }

    /// <summary>Withdraws what the account's grain published: its account and its reader facts.</summary>
    public void Withdraw(long account)
    {
        _accounts.TryRemove(account, out _);
        _readers.TryRemove(account, out _);
    }

    public bool TryGet(long account, out LocalAccount view) => _accounts.TryGetValue(account, out view!);

    /// <summary>
    /// What the post's grain would answer <paramref name="viewer"/> (0: signed out), decided from what this silo's grains
    /// published: true with the view, or with null when the viewer may not see the post; false when that is not enough to
    /// tell — the post or its author not published here, a quoting post (the quoted one is decided per viewer), who
    /// reacted not all in memory, or a post whose audience depends on following its author when
    /// <paramref name="followees"/> (the viewer's) is not given.
    /// </summary>
    public bool TryView(Guid postId, long viewer, IReadOnlySet<long>? followees, out PostView? view)
    {
        view = null;
        if (!TryGet(postId, out var post) || post.QuoteOf is not null
            || !TryGet(post.AuthorId, out var published) || !published.Account.Equals(post.Plain.Author))
        {
            return false;
        }

        var author = published.For(viewer);
        if (author is null)
        {
            return true; // a block stands between them
        }

        var isAuthor = viewer == author.Id;
        var followingMatters = VisibilityPolicy.FollowingMatters(post.Plain.Visibility, author.FollowersOnly, viewer, author.Id);
        if (followingMatters && followees is null)
        {
            return false;
        }

        var follows = followingMatters && followees!.Contains(author.Id);
        if (!VisibilityPolicy.CanView(post.Plain.Visibility, false, new ViewerFacts(isAuthor, author.FollowersOnly, follows, BlockedEitherWay: false)))
        {
            return true;
        }

        if (viewer == 0)
        {
            view = post.Plain;
            return true;
        }

        if (post.Likes.Has(viewer) is not { } liked || post.Reposts.Has(viewer) is not { } reposted || post.Bookmarks.Has(viewer) is not { } bookmarked)
        {
            return false;
        }

        view = liked || reposted || bookmarked ? post.Plain with { Liked = liked, Reposted = reposted, Bookmarked = bookmarked } : post.Plain;
        return true;
    }

    bool ILocalPostReader.TryRead(Guid postId, long viewerId, out PostView? view) => TryView(postId, viewerId, followees: null, out view);

    /// <summary>Publishes the account's reader facts, which hold until <paramref name="validUntil"/> (a mute running out) unless withdrawn first.</summary>
    public void PublishReader(long account, ReaderFacts facts, DateTimeOffset validUntil) => _readers[account] = (facts, validUntil);

    /// <summary>The account's reader facts as its grain would answer at <paramref name="now"/>, when published and still valid.</summary>
    public bool TryGetReader(long account, DateTimeOffset now, out ReaderFacts facts)
    {
        if (_readers.TryGetValue(account, out var held) && now < held.ValidUntil)
        {
            facts = held.Facts;
            return true;
        }

        facts = null!;
        return false;
    }
}
