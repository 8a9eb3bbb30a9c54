using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSocial.Api.Accounts;

/// <summary>
/// Validates access tokens like <see cref="JsonWebTokenHandler"/> and remembers the tokens it accepted until they
/// expire, so an app making many requests with the same token pays for parsing and the signature check once. Only
/// successful validations are kept; each hit still checks expiry and hands out its own copy of the identity. The
/// cache holds at most <see cref="Capacity"/> tokens and starts over when full.
/// </summary>
public sealed class CachingTokenHandler(TimeProvider time, SigningKeyRing? keys = null) : JsonWebTokenHandler
{
    public const int Capacity = 20_000;

    private readonly ConcurrentDictionary<string, Accepted> _accepted = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(validationParameters);
        var now = time.GetUtcNow().UtcDateTime;
        if (token is not null && _accepted.TryGetValue(token, out var hit) && StillAccepted(hit, validationParameters))
        {
            if (now < hit.ValidUntil)
            {
                return new TokenValidationResult
                {
                    IsValid = true,
                    ClaimsIdentity = hit.Identity.Clone(),
                    SecurityToken = hit.Token,
                    TokenType = hit.TokenType,
                    Issuer = hit.Token.Issuer,
                };
            }

            _accepted.TryRemove(token, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (result.IsValid && token is not null && result.SecurityToken is JsonWebToken jwt && result.ClaimsIdentity is { } identity)
        {
            if (_accepted.Count >= Capacity)
            {
                _accepted.Clear();
            }

            // Expired tokens are refused from ValidTo on (no clock skew): never later than the full validation would.
            _accepted[token] = new Accepted(jwt.SigningKey, jwt, identity.Clone(), result.TokenType, jwt.ValidTo);
        }

        return result;
    }

    // The key that validated the token is still one the parameters accept (a retired key's tokens are refused).
    private bool StillAccepted(Accepted hit, TokenValidationParameters parameters) =>
        keys is not null ? keys.Holds(hit.SigningKey)
        : parameters.IssuerSigningKeyResolver is { } resolve
            ? resolve(null, hit.Token, hit.Token.Kid, parameters)?.Any(k => ReferenceEquals(k, hit.SigningKey)) == true
            : ReferenceEquals(hit.SigningKey, parameters.IssuerSigningKey) || parameters.IssuerSigningKeys?.Any(k => ReferenceEquals(k, hit.SigningKey)) == true;

    // JwtBearer hands over a fresh copy of its parameters on every request; the key ring hands out the same key object per kid.
    private sealed record Accepted(SecurityKey SigningKey, JsonWebToken Token, ClaimsIdentity Identity, string TokenType, DateTime ValidUntil);
}
