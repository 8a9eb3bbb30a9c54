using System.Security.Cryptography;
using System.Text;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// The bearer secrets handed to clients — refresh tokens, email links, sign-in challenges, WebAuthn ceremonies: 32
/// random bytes as base64url, stored only as their SHA-256 hash.
/// </summary>
internal static class SecretTokens
{
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
