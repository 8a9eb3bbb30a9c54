using System.Security.Claims;
using System.Security.Cryptography;
using OrleansSocial.Api.Accounts;

namespace OrleansSocial.Api.Tests;

public sealed class CachingTokenHandlerTests
{
    private static (TokenService Tokens, CachingTokenHandler Handler) Create(TimeSpan lifetime, string? key = null)
    {
        var options = new AuthOptions
        {
            SigningKey = key ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            AccessTokenLifetime = lifetime,
        };
        var tokens = new TokenService(options, TimeProvider.System);
        tokens.ValidationParameters.ClockSkew = TimeSpan.Zero;
        return (tokens, new CachingTokenHandler(TimeProvider.System) { MapInboundClaims = false });
    }

    private static Account SomeAccount() => new(42, "someone", "someone@example.org", "hash", "Someone", "", "", false, "user",
        DateTimeOffset.UtcNow, false);

    [Fact]
    public async Task A_token_accepted_once_is_accepted_again_with_the_same_claims()
    {
        var (tokens, handler) = Create(TimeSpan.FromMinutes(15));
        var token = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());

        var first = await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone());
        var second = await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone());

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal("42", second.ClaimsIdentity.FindFirst("sub")?.Value);
        Assert.Equal(first.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)), second.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)));
    }

    [Fact]
    public async Task A_cached_token_is_refused_once_it_expires()
    {
        // A token's expiry is written in whole seconds, rounded down: a 3 s lifetime leaves it valid for at least 2 s,
        // time enough for the first validation on a busy machine, and expired after 3.5 s.
        var (tokens, handler) = Create(TimeSpan.FromSeconds(3));
        var token = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        Assert.True((await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone())).IsValid);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var later = await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone());

        Assert.False(later.IsValid);
    }

    [Fact]
    public async Task A_token_cached_under_one_signing_key_is_refused_under_another()
    {
        var (tokens, handler) = Create(TimeSpan.FromMinutes(15));
        var (otherKeyTokens, _) = Create(TimeSpan.FromMinutes(15));
        var token = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        Assert.True((await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone())).IsValid);

        var underOtherKey = await handler.ValidateTokenAsync(token, otherKeyTokens.ValidationParameters.Clone());

        Assert.False(underOtherKey.IsValid);
    }

    [Fact]
    public async Task A_tampered_token_is_refused_even_when_the_original_is_cached()
    {
        var (tokens, handler) = Create(TimeSpan.FromMinutes(15));
        var token = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone());
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}x.{parts[2]}";

        Assert.False((await handler.ValidateTokenAsync(forged, tokens.ValidationParameters.Clone())).IsValid);
    }

    [Fact]
    public async Task Each_request_gets_its_own_copy_of_the_identity()
    {
        var (tokens, handler) = Create(TimeSpan.FromMinutes(15));
        var token = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        var first = await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone());

        first.ClaimsIdentity.AddClaim(new Claim("role", "admin"));
        var second = await handler.ValidateTokenAsync(token, tokens.ValidationParameters.Clone());

        Assert.DoesNotContain(second.ClaimsIdentity.FindAll("role"), c => c.Value == "admin");
    }
}
