using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using OrleansSocial.Api.Accounts;

namespace OrleansSocial.Api.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SigningKeyRingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("keyring-").FullName;
    // Behind the real clock by more than the test moves it: tokens' lifetimes are checked against the real one.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow.AddMinutes(-5));

    private string KeyDirectory => Path.Combine(_root, "keys");

    private AuthOptions Options() => new() { KeyDirectory = KeyDirectory };

    private static Account SomeAccount() => new(7, "someone", "someone@example.org", "hash", "Someone", "", "", false, "user",
        DateTimeOffset.UtcNow, false);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<bool> ValidAsync(TokenService tokens, string token, SigningKeyRing? cachedBy = null) =>
        (await new CachingTokenHandler(_clock, cachedBy) { MapInboundClaims = false }.ValidateTokenAsync(token, tokens.ValidationParameters.Clone())).IsValid;

    [Fact]
    public void A_new_ring_makes_one_key_only_its_owner_can_read_and_tokens_name_it_in_their_header()
    {
        var tokens = new TokenService(Options(), _clock);

        var token = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        var file = Assert.Single(Directory.GetFiles(KeyDirectory));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(KeyDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), new JsonWebToken(token).Kid);
    }

    [Fact]
    public async Task A_rotated_key_is_accepted_at_once_signs_after_the_activation_delay_and_the_old_one_stops_when_retired()
    {
        var options = Options();
        var tokens = new TokenService(options, _clock);
        var old = tokens.Keys.Current.KeyId;
        var signedByOld = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());

        _clock.Advance(TimeSpan.FromMinutes(1));
        var added = SigningKeyRing.Rotate(KeyDirectory, _clock);
        var peer = new TokenService(options, _clock); // another front end, reading the ring now
        _clock.Advance(options.KeyReloadInterval + TimeSpan.FromSeconds(1));
        var beforeActivation = new JsonWebToken(tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid())).Kid;
        _clock.Advance(options.KeyActivationDelay);
        var signedByNew = tokens.IssueAccessToken(SomeAccount(), Guid.NewGuid());

        Assert.Equal(old, beforeActivation);
        Assert.Equal(added, new JsonWebToken(signedByNew).Kid);
        Assert.True(await ValidAsync(peer, signedByNew));
        Assert.True(await ValidAsync(tokens, signedByOld));

        var cache = new CachingTokenHandler(_clock, tokens.Keys) { MapInboundClaims = false };
        Assert.True((await cache.ValidateTokenAsync(signedByOld, tokens.ValidationParameters.Clone())).IsValid);
        Assert.True(SigningKeyRing.Retire(KeyDirectory, old));
        _clock.Advance(options.KeyReloadInterval + TimeSpan.FromSeconds(1));

        Assert.False((await cache.ValidateTokenAsync(signedByOld, tokens.ValidationParameters.Clone())).IsValid);
        Assert.False(await ValidAsync(peer, signedByOld));
        Assert.True(await ValidAsync(tokens, signedByNew));
        Assert.Throws<InvalidOperationException>(() => SigningKeyRing.Retire(KeyDirectory, added)); // the last key stays
    }

    [Fact]
    public void A_key_other_users_can_write_is_refused_and_looser_read_modes_are_tightened()
    {
        _ = new TokenService(Options(), _clock);
        var file = Assert.Single(Directory.GetFiles(KeyDirectory));
        File.SetUnixFileMode(KeyDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        _ = new TokenService(Options(), _clock);
        var tightened = (File.GetUnixFileMode(KeyDirectory), File.GetUnixFileMode(file));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);

        Assert.Equal((UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, UnixFileMode.UserRead | UnixFileMode.UserWrite), tightened);
        Assert.Throws<InvalidOperationException>(() => new TokenService(Options(), _clock));
    }

    [Fact]
    public async Task Configured_keys_sign_with_the_first_and_accept_the_additional_ones()
    {
        var (current, previous) = (Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var before = new TokenService(new AuthOptions { SigningKey = previous }, _clock);
        var after = new TokenService(new AuthOptions { SigningKey = current, AdditionalKeys = [previous] }, _clock);
        var withoutPrevious = new TokenService(new AuthOptions { SigningKey = current }, _clock);
        var old = before.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        var fresh = after.IssueAccessToken(SomeAccount(), Guid.NewGuid());

        Assert.True(await ValidAsync(after, old));
        Assert.True(await ValidAsync(withoutPrevious, fresh));
        Assert.False(await ValidAsync(withoutPrevious, old));
        Assert.NotEqual(new JsonWebToken(old).Kid, new JsonWebToken(fresh).Kid);
        Assert.False(Directory.Exists(KeyDirectory));
    }

    [Fact]
    public async Task The_single_key_file_of_earlier_versions_joins_the_ring_and_its_tokens_stay_valid()
    {
        var legacyKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var legacy = new TokenService(new AuthOptions { SigningKey = legacyKey }, _clock);
        var token = legacy.IssueAccessToken(SomeAccount(), Guid.NewGuid());
        await File.WriteAllTextAsync(Path.Combine(_root, "jwt-signing-key"), legacyKey);

        var ring = new TokenService(Options(), _clock);

        Assert.True(await ValidAsync(ring, token));
        Assert.False(File.Exists(Path.Combine(_root, "jwt-signing-key")));
        Assert.Single(Directory.GetFiles(KeyDirectory));
    }
}

public sealed class LoginSourceTests
{
    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void A_sign_in_source_is_an_ipv4_address_or_an_ipv6_slash_64(string address, string source) =>
        Assert.Equal(source, LoginThrottle.SourceOf(System.Net.IPAddress.Parse(address)));
}
