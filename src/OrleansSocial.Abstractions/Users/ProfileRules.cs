namespace OrleansSocial.Users;

/// <summary>What a profile may contain. The front end reports every broken rule; the grain refuses them again.</summary>
public static class ProfileRules
{
    public const int MaxDisplayNameLength = 50;
    public const int MaxBioLength = 500;
    public const int MaxWebsiteLength = 200;

    /// <summary>Every problem with <paramref name="update"/>, keyed by the snake_case field name; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(ProfileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (update.DisplayName is { } name && (name.Trim().Length > MaxDisplayNameLength || HasControlCharacters(name, allowNewlines: false)))
        {
            errors["display_name"] = [$"The display name is at most {MaxDisplayNameLength} characters, on one line."];
        }

        if (update.Bio is { } bio && (bio.Trim().Length > MaxBioLength || HasControlCharacters(bio, allowNewlines: true)))
        {
            errors["bio"] = [$"The bio is at most {MaxBioLength} characters of text."];
        }

        if (update.Website is { } website && website.Trim().Length > 0 && !IsWebsite(website.Trim()))
        {
            errors["website"] = [$"The website must be an http or https address of at most {MaxWebsiteLength} characters."];
        }

        if (update.DmPolicy is { } policy && !DmPolicies.IsValid(policy))
        {
            errors["dm_policy"] = ["dm_policy is everyone, followers or nobody."];
        }

        return errors;
    }

    /// <summary><paramref name="current"/> with <paramref name="update"/> applied (text trimmed).</summary>
    public static UserProfile Apply(UserProfile current, ProfileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(update);
        return current with
        {
            DisplayName = update.DisplayName?.Trim() ?? current.DisplayName,
            Bio = update.Bio?.Trim() ?? current.Bio,
            Website = update.Website?.Trim() ?? current.Website,
            IsPrivate = update.IsPrivate ?? current.IsPrivate,
            DmPolicy = update.DmPolicy ?? current.DmPolicy,
        };
    }

    private static bool IsWebsite(string value) =>
        value.Length <= MaxWebsiteLength
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && !string.IsNullOrEmpty(uri.Host);

    private static bool HasControlCharacters(string value, bool allowNewlines) =>
        value.Any(c => char.IsControl(c) && !(allowNewlines && c is '\n' or '\r'));
}
