namespace OrleansSocial.Users;

/// <summary>An account's profile as the account's owner sees it.</summary>
public sealed record UserProfile(
    long Id, string Username, string Email, bool EmailVerified, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt, string DmPolicy = DmPolicies.Everyone);

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
public sealed record ProfileUpdate(string? DisplayName = null, string? Bio = null, string? Website = null, bool? IsPrivate = null, string? DmPolicy = null);
