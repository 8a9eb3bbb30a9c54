namespace OrleansSocial.Api.Email;

/// <summary>The emails the account flows send. Links point at the client (<see cref="EmailOptions.PublicBaseUrl"/>), which posts the token to the API.</summary>
public sealed class AccountMail(EmailOptions options)
{
    public EmailMessage Verification(string to, string username, string token) => new(to, "Confirm your email address", $$"""
        Hello {{username}},

        Confirm that this is your email address by opening this link within 24 hours:

        {{Link("verify-email", token)}}

        (Apps: POST /api/v1/accounts/verify_email with {"token": "{{token}}"}.)

        If you did not create an OrleansSocial account, ignore this email.
        """);

    public EmailMessage SecurityAlert(string to, string username, string what, string device, string ip) => new(to, "Security alert: " + what, $$"""
        Hello {{username}},

        {{what}} on your OrleansSocial account.
        Device: {{(device.Length == 0 ? "unknown" : device)}}
        Address: {{(ip.Length == 0 ? "unknown" : ip)}}

        If this was you, there is nothing to do. If not, change your password now and sign out your other sessions
        (Settings → Sessions), and turn on two-factor sign-in.
        """);

    public EmailMessage PasswordReset(string to, string username, string token) => new(to, "Reset your password", $$"""
        Hello {{username}},

        Someone asked to reset the password of your OrleansSocial account. Choose a new password with this link
        within one hour; it works once:

        {{Link("reset-password", token)}}

        (Apps: POST /api/v1/passwords/reset with {"token": "{{token}}", "new_password": "..."}.)

        Resetting signs out every device. If you did not ask for this, ignore this email: your password stays as it is.
        """);

    public EmailMessage DeletionScheduled(string to, string username, DateTimeOffset eraseAfter) => new(to, "Your account will be deleted", $$"""
        Hello {{username}},

        Your OrleansSocial account is deactivated: nobody sees your profile, posts or stories, and every device was signed
        out. On {{eraseAfter.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)}} UTC it will be erased for good: profile, posts, comments, likes,
        follows, stories, media and sign-in data. Messages you sent stay in the other people's conversations, from a
        deleted account.

        Changed your mind? Sign in before then and the account is restored as it was.
        """);

    public EmailMessage SignInLink(string to, string username, string token) => new(to, "Sign in to your account", $$"""
        Hello {{username}},

        Someone tried several times to sign in to your OrleansSocial account with a wrong password. They are held back;
        you are not. If it was you, sign in with this link within one hour; it works once and lifts every delay:

        {{Link("sign-in", token)}}

        (Apps: POST /api/v1/sessions/link with {"token": "{{token}}"}.)

        If it was not you, nothing more is needed: your password was not given away. Choosing a new, longer one never hurts.
        """);

    private string Link(string page, string token) => $"{options.PublicBaseUrl.TrimEnd('/')}/{page}?token={Uri.EscapeDataString(token)}";
}
