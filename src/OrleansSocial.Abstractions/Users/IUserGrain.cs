using OrleansSocial.Runtime;

namespace OrleansSocial.Users;

/// <summary>
/// One per account, keyed by the account id. Holds the account's profile hot (and, with later features, its
/// counters and relationship summaries); the <c>accounts</c> row is the durable truth, written with a version check.
/// </summary>
public interface IUserGrain : IGrainWithIntegerKey
{
    /// <summary>The profile, or null when no account has this id.</summary>
    [ReadOnly]
    Task<UserProfile?> GetProfileAsync();

    /// <summary>
    /// Applies the fields given (null ones are left as they are), saves them and tells the user's other connections
    /// (<c>account_updated</c>). Throws <see cref="ArgumentException"/> for a value <see cref="ProfileRules"/> refuses and
    /// <see cref="KeyNotFoundException"/> when the account does not exist.
    /// </summary>
    Task<UserProfile> UpdateProfileAsync(ProfileUpdate update);

    /// <summary>Re-reads the row after a change made outside the grain (email verified, role granted).</summary>
    Task<UserProfile?> ReloadAsync();
}
