using OrleansSocial.Text;

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
        if (update.DisplayName is { } name && (name.Trim().Length > MaxDisplayNameLength || ClientText.Problem(name, longText: false) is not null))
        {
            errors["display_name"] = [$"The display name is at most {MaxDisplayNameLength} characters, on one line."];
        }
        else if (update.DisplayName is { } shown && ClientText.HasBidiControls(shown))
        {
            errors["display_name"] = ["The display name may not contain bidirectional formatting characters."];
        }

        if (update.Bio is { } bio && (bio.Trim().Length > MaxBioLength || ClientText.Problem(bio, longText: true) is not null))
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
            DisplayName = update.DisplayName is { } name ? ClientText.Nfc(name.Trim()) : current.DisplayName,
            Bio = update.Bio is { } bio ? ClientText.Nfc(bio.Trim()) : current.Bio,
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
}
