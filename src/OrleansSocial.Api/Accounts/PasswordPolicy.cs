using System.Text.RegularExpressions;

namespace OrleansSocial.Api.Accounts;

/// <summary>What a username, email and password must be.</summary>
public static partial class AccountRules
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 200;

    // A short list of the most common passwords of at least ten characters (from public breach corpora).
    private static readonly HashSet<string> CommonPasswords = new(StringComparer.OrdinalIgnoreCase)
    {
        "1234567890", "0123456789", "12345678910", "qwertyuiop", "1q2w3e4r5t", "1qaz2wsx3edc", "password1", "password12",
        "password123", "password1234", "passw0rd123", "iloveyou12", "qwerty1234", "qwerty12345", "qwerty123456",
        "abcdefghij", "abc1234567", "1111111111", "0000000000", "9876543210", "letmein123", "welcome123", "football123",
        "baseball123", "princess123", "sunshine123", "superman123", "dragon1234", "monkey1234", "trustno1234",
        "administrator", "changeme123", "qazwsxedcrfv", "asdfghjkl1", "zxcvbnm123", "1q2w3e4r5t6y", "aaaaaaaaaa",
    };

    /// <summary>3–30 characters of letters, digits and underscore (unique regardless of case).</summary>
    public static bool IsValidUsername(string? username) => username is not null && UsernamePattern().IsMatch(username);

    public static bool IsValidEmail(string? email) =>
        email is { Length: >= 3 and <= 254 } && EmailPattern().IsMatch(email);

    /// <summary>Why the password is refused, or null when it is acceptable.</summary>
    public static string? PasswordProblem(string? password, string? username)
    {
        if (password is null || password.Length < MinPasswordLength)
        {
            return $"The password must have at least {MinPasswordLength} characters.";
        }

        if (password.Length > MaxPasswordLength)
        {
            return $"The password may have at most {MaxPasswordLength} characters.";
        }

        if (CommonPasswords.Contains(password) || password.Distinct().Count() <= 2)
        {
            return "This password is too common; choose another.";
        }

        if (username is not null && password.Contains(username, StringComparison.OrdinalIgnoreCase) && username.Length >= 3)
        {
            return "The password may not contain the username.";
        }

        return null;
    }

    /// <summary>Whether <paramref name="token"/> could be one of our emailed tokens (43 URL-safe base64 characters).</summary>
    public static bool IsPlausibleToken(string? token) => token is { Length: >= 20 and <= 100 } && TokenPattern().IsMatch(token);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("^[A-Za-z0-9_]{3,30}$")]
    private static partial Regex UsernamePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
