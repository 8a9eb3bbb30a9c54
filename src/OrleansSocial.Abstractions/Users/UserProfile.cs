namespace OrleansSocial.Users;

/// <summary>An account's profile as the account's owner sees it.</summary>
public sealed record UserProfile(
    long Id, string Username, string Email, bool EmailVerified, string DisplayName, string Bio, string Website,
    bool IsPrivate, string Role, DateTimeOffset CreatedAt);

/// <summary>A profile edit: null fields are left unchanged, an empty string clears a text field.</summary>
public sealed record ProfileUpdate(string? DisplayName = null, string? Bio = null, string? Website = null, bool? IsPrivate = null);
