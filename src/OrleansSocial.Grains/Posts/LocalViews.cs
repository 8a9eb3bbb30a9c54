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
/// grain's public account, as they would answer now. A home timeline renders an entry from here when both the post's and
/// its author's grains are active in this silo and have published — no grain call — and asks the grains otherwise. An
/// entry exists only while its grain is active here and unchanged since it published: the grain withdraws it in the
/// same turn that changes it, and when it deactivates, so what is read here is what the grain would answer.
/// </summary>
public sealed class LocalViews
{
    private readonly ConcurrentDictionary<Guid, LocalPost> _posts = new();
    private readonly ConcurrentDictionary<long, LocalAccount> _accounts = new();

    public void Publish(Guid post, LocalPost view) => _posts[post] = view;

    public void Withdraw(Guid post) => _posts.TryRemove(post, out _);

    public bool TryGet(Guid post, out LocalPost view) => _posts.TryGetValue(post, out view!);

    public void Publish(LocalAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        _accounts[account.Account.Id] = account;
    }

    public void Withdraw(long account) => _accounts.TryRemove(account, out _);

    public bool TryGet(long account, out LocalAccount view) => _accounts.TryGetValue(account, out view!);
}
