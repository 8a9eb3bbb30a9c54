using Orleans;

namespace OrleansSocial.Users;

/// <summary>An account's profile as the account's owner sees it.</summary>
[GenerateSerializer, Immutable, Alias("social.UserProfile")]
public sealed record UserProfile(
    [property: Id(0)] long Id, [property: Id(1)] string Username, [property: Id(2)] string Email, [property: Id(3)] bool EmailVerified, [property: Id(4)] string DisplayName, [property: Id(5)] string Bio, [property: Id(6)] string Website,
    [property: Id(7)] bool IsPrivate, [property: Id(8)] string Role, [property: Id(9)] DateTimeOffset CreatedAt, [property: Id(10)] string DmPolicy = DmPolicies.Everyone,
    [property: Id(11)] string? AvatarKey = null, [property: Id(12)] string? HeaderKey = null, [property: Id(13)] bool Suspended = false)
{
    /// <summary>Limited by a moderator: its posts show only to its followers, and not in trends or search (see <see cref="PublicAccount.FollowersOnly"/>).</summary>
    [Id(14)]
    public bool Limited { get; init; }

    /// <summary>
    /// Deleted by its owner: hidden from everyone like a suspended account during the grace period (and after erasure,
    /// when only a placeholder is left).
    /// </summary>
    [Id(15)]
    public bool Deactivated { get; init; }

    /// <summary>Whether the account shows to anyone: neither suspended nor deactivated.</summary>
    public bool Hidden => Suspended || Deactivated;
}

/// <summary>Who may message an account (<c>dm_policy</c>).</summary>
public static class DmPolicies
{
    public const string Everyone = "everyone";

    /// <summary>Only accounts that follow it (approved followers).</summary>
    public const string Followers = "followers";

    public const string Nobody = "nobody";

    public static bool IsValid(string? value) => value is Everyone or Followers or Nobody;
}

/// <summary>A profile edit: null fields are left unchanged, an empty string clears a text field.</summary>
[GenerateSerializer, Immutable, Alias("social.ProfileUpdate")]
public sealed record ProfileUpdate([property: Id(0)] string? DisplayName = null, [property: Id(1)] string? Bio = null, [property: Id(2)] string? Website = null, [property: Id(3)] bool? IsPrivate = null, [property: Id(4)] string? DmPolicy = null);

/// <summary>An avatar or header changed: the profile now, and the blob token of the picture replaced (null: none).</summary>
[GenerateSerializer, Immutable, Alias("social.ProfileImageChange")]
public sealed record ProfileImageChange([property: Id(0)] UserProfile Profile, [property: Id(1)] string? ReleasedToken);
