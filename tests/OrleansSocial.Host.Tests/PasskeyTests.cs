using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSocial.Host.Tests;

public sealed class PasskeyTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private static async Task<(string Ceremony, JsonElement Options)> OptionsAsync(HttpClient client, string path, object? body = null, string? token = null)
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, path, body ?? new { }, token);
        var json = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
        return (json.GetProperty("ceremony_id").GetString()!, json.GetProperty("options"));
    }

    private static async Task<JsonElement> RegisterAsync(HttpClient client, TestUser user, SoftwareAuthenticator authenticator, string name = "Laptop")
    {
        var (ceremony, options) = await OptionsAsync(client, "/api/v1/accounts/me/passkeys/options", token: user.AccessToken);
        var registered = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys",
            new { ceremony_id = ceremony, name, credential = authenticator.Create(options) }, user.AccessToken);
        var json = await registered.JsonAsync();
        Assert.True(registered.StatusCode == HttpStatusCode.Created, json.ToString());
        return json;
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, SoftwareAuthenticator authenticator, Func<JsonObject, JsonObject>? change = null)
    {
        var (ceremony, options) = await OptionsAsync(client, "/api/v1/sessions/passkey/options");
        var answer = authenticator.Get(options);
        return await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey", new { ceremony_id = ceremony, credential = change?.Invoke(answer) ?? answer });
    }

    private static async Task<long> SignedInAccountAsync(HttpClient client, HttpResponseMessage signIn)
    {
        var tokens = await signIn.JsonAsync();
        Assert.True(signIn.StatusCode == HttpStatusCode.OK, tokens.ToString());
        var me = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: tokens.GetProperty("access_token").GetString())).JsonAsync();
        return long.Parse(me.GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_passkey_registered_from_a_signed_in_session_signs_in_without_a_username_and_is_listed_and_announced()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pk");
        var other = await client.NewUserAsync("pk");
        using var authenticator = new SoftwareAuthenticator();
        using var othersAuthenticator = new SoftwareAuthenticator();

        var anonymous = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys/options", new { });
        var (ceremony, options) = await OptionsAsync(client, "/api/v1/accounts/me/passkeys/options", token: user.AccessToken);
        var answer = authenticator.Create(options);
        var noCredential = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys", new { ceremony_id = ceremony, name = "x" }, user.AccessToken);
        var longName = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys",
            new { ceremony_id = ceremony, name = new string('n', 65), credential = answer }, user.AccessToken);
        var byAnother = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys",
            new { ceremony_id = ceremony, name = "stolen", credential = answer }, other.AccessToken); // spends the ceremony: it was not theirs
        var (second, secondOptions) = await OptionsAsync(client, "/api/v1/accounts/me/passkeys/options", token: user.AccessToken);
        var secondAnswer = authenticator.Create(secondOptions);
        var registered = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys",
            new { ceremony_id = second, name = "Laptop", credential = secondAnswer }, user.AccessToken);
        var spentAgain = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys",
            new { ceremony_id = second, name = "Laptop", credential = secondAnswer }, user.AccessToken);
        await RegisterAsync(client, other, othersAuthenticator);
        var (_, thirdOptions) = await OptionsAsync(client, "/api/v1/accounts/me/passkeys/options", token: user.AccessToken);
        var list = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/passkeys", token: user.AccessToken)).JsonAsync();
        var alerts = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=security", token: user.AccessToken)).JsonAsync();

        var signedInAs = await SignedInAccountAsync(client, await SignInAsync(client, authenticator));
        var otherSignedInAs = await SignedInAccountAsync(client, await SignInAsync(client, othersAuthenticator));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noCredential.StatusCode);
        Assert.Contains("credential", (await noCredential.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        Assert.Contains("name", (await longName.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, byAnother.StatusCode);
        Assert.Contains("ceremony_id", (await byAnother.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, spentAgain.StatusCode);
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        Assert.Equal("required", options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString());
        Assert.Equal(user.Username, options.GetProperty("user").GetProperty("name").GetString());
        // The next registration excludes the passkey the account has, and carries the same user handle.
        Assert.Single(thirdOptions.GetProperty("excludeCredentials").EnumerateArray());
        Assert.Equal(secondOptions.GetProperty("user").GetProperty("id").GetString(), thirdOptions.GetProperty("user").GetProperty("id").GetString());
        var passkey = Assert.Single(list.EnumerateArray());
        Assert.Equal("Laptop", passkey.GetProperty("name").GetString());
        Assert.Contains("passkey_added", alerts.EnumerateArray().Select(n => n.GetProperty("detail").GetString()));
        Assert.Equal(user.Id, signedInAs);
        Assert.Equal(other.Id, otherSignedInAs);
        var used = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/passkeys", token: user.AccessToken)).JsonAsync();
        Assert.NotEqual(JsonValueKind.Null, Assert.Single(used.EnumerateArray()).GetProperty("last_used_at").ValueKind);
    }

    [Fact]
    public async Task A_tampered_signature_or_client_data_another_challenge_or_origin_a_reused_ceremony_or_no_user_verification_do_not_sign_in()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pt");
        using var authenticator = new SoftwareAuthenticator();
        await RegisterAsync(client, user, authenticator);
        var tamperedSignature = await SignInAsync(client, authenticator, a => SoftwareAuthenticator.Tamper(a, "signature"));
        var tamperedData = await SignInAsync(client, authenticator, a => SoftwareAuthenticator.Tamper(a, "authenticatorData"));
        var tamperedClientData = await SignInAsync(client, authenticator, a => SoftwareAuthenticator.Tamper(a, "clientDataJSON"));
        var (ceremony, options) = await OptionsAsync(client, "/api/v1/sessions/passkey/options");
        var (otherCeremony, _) = await OptionsAsync(client, "/api/v1/sessions/passkey/options");
        var wrongChallenge = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey",
            new { ceremony_id = otherCeremony, credential = authenticator.Get(options) }); // answers another ceremony's challenge
        var good = authenticator.Get(options);
        var accepted = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey", new { ceremony_id = ceremony, credential = good });
        var replayed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey", new { ceremony_id = ceremony, credential = good });
        authenticator.VerifiesUser = false;
        var unverified = await SignInAsync(client, authenticator);
        authenticator.VerifiesUser = true;
        authenticator.Origin = "https://evil.example"; // signed properly, from a page the site does not own
        var wrongOrigin = await SignInAsync(client, authenticator);
        authenticator.Origin = "http://localhost:5080";
        var garbage = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey", new { ceremony_id = "x", credential = "not an object" });
        var stillWorks = await SignInAsync(client, authenticator);

        Assert.Equal(HttpStatusCode.Unauthorized, tamperedSignature.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tamperedData.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tamperedClientData.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongChallenge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Contains("ceremony_id", (await replayed.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.Unauthorized, unverified.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Contains("credential", (await garbage.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(user.Id, await SignedInAccountAsync(client, stillWorks));
    }

    [Fact]
    public async Task With_totp_on_a_passkey_of_the_account_completes_a_password_sign_in_and_another_accounts_passkey_does_not()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pm");
        var other = await client.NewUserAsync("pm");
        using var authenticator = new SoftwareAuthenticator();
        using var othersAuthenticator = new SoftwareAuthenticator();
        await TwoFactorTests.TurnOnAsync(client, user);
        await RegisterAsync(client, user, authenticator);
        await RegisterAsync(client, other, othersAuthenticator);

        async Task<string> ChallengeAsync()
        {
            var login = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password })).JsonAsync();
            Assert.Contains("passkey", login.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
            return login.GetProperty("mfa_token").GetString()!;
        }

        var token = await ChallengeAsync();
        var (ceremony, options) = await OptionsAsync(client, "/api/v1/sessions/mfa/passkey_options", new { mfa_token = token });
        var withOthers = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa",
            new { mfa_token = token, ceremony_id = ceremony, credential = othersAuthenticator.Get(options, credentialIndex: 0) });
        var (again, againOptions) = await OptionsAsync(client, "/api/v1/sessions/mfa/passkey_options", new { mfa_token = token });
        var withOwn = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa",
            new { mfa_token = token, ceremony_id = again, credential = authenticator.Get(againOptions) });
        var unknownToken = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa/passkey_options", new { mfa_token = "nope" });

        // A usernameless ceremony cannot stand in for the second-factor one.
        var fresh = await ChallengeAsync();
        var (signInCeremony, signInOptions) = await OptionsAsync(client, "/api/v1/sessions/passkey/options");
        var wrongKind = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa",
            new { mfa_token = fresh, ceremony_id = signInCeremony, credential = authenticator.Get(signInOptions) });

        Assert.Single(options.GetProperty("allowCredentials").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, withOthers.StatusCode);
        Assert.Contains("credential", (await withOthers.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(user.Id, await SignedInAccountAsync(client, withOwn));
        Assert.Equal(HttpStatusCode.Unauthorized, unknownToken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongKind.StatusCode);
    }

    [Fact]
    public async Task A_removed_passkey_no_longer_signs_in_and_another_accounts_passkey_cannot_be_removed()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pr");
        var other = await client.NewUserAsync("pr");
        using var authenticator = new SoftwareAuthenticator();
        var passkey = (await RegisterAsync(client, user, authenticator)).GetProperty("id").GetString();

        var byOther = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/accounts/me/passkeys/{passkey}", token: other.AccessToken);
        var beforeRemoval = await SignInAsync(client, authenticator);
        var removed = await client.SendJsonAsync(HttpMethod.Delete, $"/api/v1/accounts/me/passkeys/{passkey}", token: user.AccessToken);
        var afterRemoval = await SignInAsync(client, authenticator);
        var list = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/passkeys", token: user.AccessToken)).JsonAsync();
        var alerts = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=security", token: user.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, byOther.StatusCode);
        Assert.Equal(HttpStatusCode.OK, beforeRemoval.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRemoval.StatusCode);
        Assert.Empty(list.EnumerateArray());
        Assert.Contains("passkey_removed", alerts.EnumerateArray().Select(n => n.GetProperty("detail").GetString()));
    }
}

/// <summary>Two front ends on one database: second factors and passkey ceremonies must not depend on which one answers.</summary>
public sealed class SecondFactorAcrossFrontEndsTests(RevocationFactory factory) : IClassFixture<RevocationFactory>
{
    [Fact]
    public async Task Totp_enrolled_and_a_passkey_ceremony_started_on_one_front_end_are_completed_on_another()
    {
        await using var peer = new PeerFrontEnd(factory.ConnectionString);
        using var here = factory.CreateClient();
        using var there = peer.CreateClient();
        var user = await here.NewUserAsync("xf");
        using var authenticator = new SoftwareAuthenticator();
        var (secret, _) = await TwoFactorTests.TurnOnAsync(here, user);

        // The TOTP secret was encrypted here; the other front end reads it with the key ring both keep in PostgreSQL.
        var login = await (await there.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password })).JsonAsync();
        var completed = await there.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa",
            new { mfa_token = login.GetProperty("mfa_token").GetString(), code = TwoFactorTests.Code(secret, 1) });

        // Registration begun here, finished there; a sign-in begun there, finished here.
        var begun = await (await here.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys/options", new { }, user.AccessToken)).JsonAsync();
        var registered = await there.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/passkeys",
            new { ceremony_id = begun.GetProperty("ceremony_id").GetString(), credential = authenticator.Create(begun.GetProperty("options")) }, user.AccessToken);
        var signIn = await (await there.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey/options", new { })).JsonAsync();
        var signedIn = await here.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/passkey",
            new { ceremony_id = signIn.GetProperty("ceremony_id").GetString(), credential = authenticator.Get(signIn.GetProperty("options")) });

        Assert.True(completed.StatusCode == HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        Assert.True(signedIn.StatusCode == HttpStatusCode.OK, await signedIn.Content.ReadAsStringAsync());
    }
}
