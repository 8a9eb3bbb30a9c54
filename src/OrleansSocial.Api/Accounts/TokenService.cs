using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSocial.Api.Accounts;

/// <summary>Settings of sign-in (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// Base64 HMAC-SHA256 key for access tokens (at least 32 bytes), the same on every front end. When empty, the keys
    /// are the ring in <see cref="KeyDirectory"/> (see <see cref="SigningKeyRing"/>).
    /// </summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Earlier configured keys still accepted (not used to sign), e.g. during a rotation by configuration.</summary>
    public string[] AdditionalKeys { get; set; } = [];

    /// <summary>Where the signing key ring is kept (a directory only the service's user can read). Default <c>.data/keys</c>.</summary>
    public string KeyDirectory { get; set; } = Path.Combine(".data", "keys");

    /// <summary>How often the key directory is read again for rotated keys. Default 30 s.</summary>
    public TimeSpan KeyReloadInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How old a rotated key must be before it signs (every front end has read it by then). Default 2 minutes.</summary>
    public TimeSpan KeyActivationDelay { get; set; } = TimeSpan.FromMinutes(2);

    public string Issuer { get; set; } = "orleans-social";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failed sign-ins in a row from one source (per account) after which that source waits before each try (1 s,
    /// doubling). Default 5.
    /// </summary>
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>The longest such wait, and how long failures are remembered. Default 15 minutes.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often each front end reads the sessions signed out elsewhere: the longest a signed-out session's access token
    /// keeps working on another front end. Default 2 s.
    /// </summary>
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Issues and describes the validation of JWT access tokens (HMAC-SHA256, signed by the ring's current key, named in <c>kid</c>).</summary>
public sealed class TokenService
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new();

    public TokenService(AuthOptions options, TimeProvider time)
        : this(options, time, new SigningKeyRing(options ?? throw new ArgumentNullException(nameof(options)), time))
    {
    }

    public TokenService(AuthOptions options, TimeProvider time, SigningKeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keys);
        (_options, _time, Keys) = (options, time, keys);
        ValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Issuer,
            IssuerSigningKeyResolver = (_, _, kid, _) => keys.Resolve(kid),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "name",
            RoleClaimType = "role",
        };
    }

    public SigningKeyRing Keys { get; }

    public TokenValidationParameters ValidationParameters { get; }

    public TimeSpan AccessTokenLifetime => _options.AccessTokenLifetime;

    public string IssueAccessToken(Account account, Guid sessionId, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        var now = _time.GetUtcNow().UtcDateTime;
        var claims = new List<Claim>
        {
            new("sub", account.Id.ToString(CultureInfo.InvariantCulture)),
            new("name", account.Username),
            new("role", account.Role),
            new("sid", sessionId.ToString("N")),
            new(VerifiedEmail.Claim, account.EmailVerified ? "true" : "false"),
        };
        if (scope is not null)
        {
            claims.Add(new Claim(AppealScope.Claim, scope));
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _options.AccessTokenLifetime,
            Subject = new ClaimsIdentity(claims),
            SigningCredentials = new SigningCredentials(Keys.Current, SecurityAlgorithms.HmacSha256),
        });
    }
}
