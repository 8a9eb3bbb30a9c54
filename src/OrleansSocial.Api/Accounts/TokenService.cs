using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSocial.Api.Accounts;

/// <summary>Settings of sign-in (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>Base64 HMAC-SHA256 key for access tokens (at least 32 bytes). When empty, a key is generated once and kept in <see cref="KeyFile"/>.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Where a generated signing key is kept. Default <c>.data/jwt-signing-key</c>.</summary>
    public string KeyFile { get; set; } = Path.Combine(".data", "jwt-signing-key");

    public string Issuer { get; set; } = "orleans-social";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Failed logins in a row that lock an account. Default 5.</summary>
    public int LockoutThreshold { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often each front end reads the sessions signed out elsewhere: the longest a signed-out session's access token
    /// keeps working on another front end. Default 2 s.
    /// </summary>
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Issues and describes the validation of JWT access tokens (HMAC-SHA256).</summary>
public sealed class TokenService
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new();

    public TokenService(AuthOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        Key = new SymmetricSecurityKey(LoadKey(options));
        ValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Issuer,
            IssuerSigningKey = Key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "name",
            RoleClaimType = "role",
        };
    }

    public SymmetricSecurityKey Key { get; }

    public TokenValidationParameters ValidationParameters { get; }

    public TimeSpan AccessTokenLifetime => _options.AccessTokenLifetime;

    public string IssueAccessToken(Account account, Guid sessionId)
    {
        ArgumentNullException.ThrowIfNull(account);
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _options.AccessTokenLifetime,
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", account.Id.ToString(CultureInfo.InvariantCulture)),
                new Claim("name", account.Username),
                new Claim("role", account.Role),
                new Claim("sid", sessionId.ToString("N")),
            ]),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }

    private static byte[] LoadKey(AuthOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            var configured = Convert.FromBase64String(options.SigningKey);
            return configured.Length >= 32
                ? configured
                : throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (base64).");
        }

        if (File.Exists(options.KeyFile))
        {
            return Convert.FromBase64String(File.ReadAllText(options.KeyFile).Trim());
        }

        var key = RandomNumberGenerator.GetBytes(32);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.KeyFile))!);
        File.WriteAllText(options.KeyFile, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(options.KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }
}
