using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;

namespace OrleansSocial.Host.Tests;

public sealed class TwoFactorTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    private async Task<string> StoredSecretAsync(long account)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(factory.ConnectionString);
        await using var command = db.CreateCommand("SELECT secret FROM totp_secrets WHERE account_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = account });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    internal static string Code(string secret, int stepsAhead = 0) =>
        new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30 * stepsAhead));

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, TestUser user) =>
        client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password });

    private static async Task<string> ChallengeAsync(HttpClient client, TestUser user)
    {
        var login = await (await LoginAsync(client, user)).JsonAsync();
        Assert.True(login.GetProperty("mfa_required").GetBoolean());
        Assert.False(login.TryGetProperty("access_token", out _));
        return login.GetProperty("mfa_token").GetString()!;
    }

    private static Task<HttpResponseMessage> CompleteAsync(HttpClient client, string token, string code) =>
        client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa", new { mfa_token = token, code });

    internal static async Task<(string Secret, string[] BackupCodes)> TurnOnAsync(HttpClient client, TestUser user)
    {
        var enrolled = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp", token: user.AccessToken);
        var enrolment = await enrolled.JsonAsync();
        Assert.True(enrolled.StatusCode == HttpStatusCode.OK, enrolment.ToString());
        var secret = enrolment.GetProperty("secret").GetString()!;
        var confirmation = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp/confirm", new { code = Code(secret) }, user.AccessToken);
        var confirmed = await confirmation.JsonAsync();
        Assert.True(confirmation.StatusCode == HttpStatusCode.OK, confirmed.ToString());
        return (secret, [.. confirmed.GetProperty("backup_codes").EnumerateArray().Select(c => c.GetString()!)]);
    }

    [Fact]
    public async Task Totp_takes_effect_once_confirmed_then_sign_in_needs_a_code_each_usable_once_or_a_single_use_backup_code()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("tf");
        var enrolment = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp", token: user.AccessToken)).JsonAsync();
        var secret = enrolment.GetProperty("secret").GetString()!;
        var pending = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/two_factor", token: user.AccessToken)).JsonAsync();
        var beforeConfirming = await LoginAsync(client, user);
        var wrong = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp/confirm", new { code = "000000" }, user.AccessToken);
        var confirmed = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp/confirm", new { code = Code(secret) },
            user.AccessToken)).JsonAsync();
        var backupCodes = confirmed.GetProperty("backup_codes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var enrolAgain = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp", token: user.AccessToken);
        var stored = await StoredSecretAsync(user.Id);

        var first = await ChallengeAsync(client, user);
        var next = Code(secret, stepsAhead: 1); // the confirming code spent this step
        var signedIn = await CompleteAsync(client, first, next);
        var second = await ChallengeAsync(client, user);
        var replayed = await CompleteAsync(client, second, next);
        var withBackup = await CompleteAsync(client, second, backupCodes[0]);
        var third = await ChallengeAsync(client, user);
        var backupAgain = await CompleteAsync(client, third, backupCodes[0]);
        var status = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me/two_factor", token: user.AccessToken)).JsonAsync();

        Assert.StartsWith("otpauth://totp/OrleansSocial%3A", enrolment.GetProperty("otpauth_uri").GetString(), StringComparison.Ordinal);
        Assert.Contains("<svg", enrolment.GetProperty("qr_svg").GetString(), StringComparison.Ordinal);
        Assert.True(pending.GetProperty("totp_pending").GetBoolean());
        Assert.True((await beforeConfirming.JsonAsync()).TryGetProperty("access_token", out _));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("code", (await wrong.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(10, backupCodes.Distinct().Count());
        Assert.Equal(HttpStatusCode.Conflict, enrolAgain.StatusCode);
        Assert.DoesNotContain(secret, stored, StringComparison.OrdinalIgnoreCase); // encrypted at rest
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.True((await signedIn.JsonAsync()).TryGetProperty("access_token", out _));
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withBackup.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, backupAgain.StatusCode);
        Assert.True(status.GetProperty("totp").GetBoolean());
        Assert.Equal(9, status.GetProperty("backup_codes_left").GetInt32());
    }

    [Fact]
    public async Task Turning_totp_off_needs_the_password_and_a_code_and_renewed_backup_codes_replace_the_old_ones()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("tf");
        var (secret, backupCodes) = await TurnOnAsync(client, user);

        var renewedWithoutCode = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/backup_codes", new { password = user.Password },
            user.AccessToken);
        var renewed = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/backup_codes",
            new { password = user.Password, code = backupCodes[0] }, user.AccessToken)).JsonAsync();
        var fresh = renewed.GetProperty("backup_codes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var challenge = await ChallengeAsync(client, user);
        var oldCode = await CompleteAsync(client, challenge, backupCodes[1]);
        var wrongPassword = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp/disable", new { password = "not it at all 1", code = fresh[0] },
            user.AccessToken);
        var off = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp/disable", new { password = user.Password, code = Code(secret, 1) },
            user.AccessToken);
        var login = await (await LoginAsync(client, user)).JsonAsync();

        Assert.Equal(HttpStatusCode.BadRequest, renewedWithoutCode.StatusCode);
        Assert.Contains("code", (await renewedWithoutCode.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(10, fresh.Length);
        Assert.Equal(HttpStatusCode.BadRequest, oldCode.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongPassword.StatusCode);
        Assert.Contains("password", (await wrongPassword.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.NoContent, off.StatusCode);
        Assert.True(login.TryGetProperty("access_token", out _));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM backup_codes WHERE account_id = $1", user.Id));
    }

    [Fact]
    public async Task A_challenge_dies_after_five_wrong_codes_and_an_unknown_challenge_is_refused()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("tf");
        var (secret, _) = await TurnOnAsync(client, user);
        var challenge = await ChallengeAsync(client, user);

        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            wrong.Add((await CompleteAsync(client, challenge, "00000" + i)).StatusCode);
        }

        var rightTooLate = await CompleteAsync(client, challenge, Code(secret, 1));
        var unknown = await CompleteAsync(client, "not-a-challenge", Code(secret, 1));
        var missing = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/mfa", new { code = "123456" });

        Assert.All(wrong, s => Assert.True(s is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, s.ToString()));
        Assert.Equal(HttpStatusCode.Unauthorized, rightTooLate.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("mfa_token", (await missing.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }
}

public sealed class SecurityAlertTests(MediaFactory factory) : IClassFixture<MediaFactory>
{
    // Mail leaves through a queue: counted until the expected number arrived or 5 s passed.
    private async Task<long> AlertMailsAsync(TestUser user, long expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var count = await factory.ScalarAsync("SELECT count(*) FROM email_outbox WHERE to_address = $1 AND subject LIKE 'Security alert%'", user.Email);
            if (count >= expected || DateTime.UtcNow > deadline)
            {
                return count;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_sign_in_from_a_new_device_a_password_change_and_turning_on_two_factor_each_tell_the_account_in_the_app_and_by_email()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("sa");
        async Task<HttpResponseMessage> LoginAsync(string device, string password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sessions")
            {
                Content = JsonContent.Create(new { login = user.Username, password }),
            };
            request.Headers.UserAgent.ParseAdd(device);
            return await client.SendAsync(request);
        }

        await LoginAsync("KnownLaptop/1.0", user.Password);
        var known = await AlertsAsync();
        await LoginAsync("KnownLaptop/1.0", user.Password);
        var sameDevice = await AlertsAsync();
        await LoginAsync("NewPhone/2.0", user.Password);
        var newDevice = await AlertsAsync();
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/password", new { current_password = user.Password, new_password = "a changed passphrase 77" },
            user.AccessToken);
        var enrolment = await (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp", token: user.AccessToken)).JsonAsync();
        var secret = enrolment.GetProperty("secret").GetString()!;
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/two_factor/totp/confirm",
            new { code = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow) }, user.AccessToken);
        var all = await AlertsAsync();
        var mails = await AlertMailsAsync(user, 4);

        async Task<string[]> AlertsAsync()
        {
            var list = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/notifications?types=security", token: user.AccessToken)).JsonAsync();
            return [.. list.EnumerateArray().Select(n => n.GetProperty("detail").GetString()!)];
        }

        Assert.Equal(["new_sign_in"], known); // the sign-up's own sign-in had no user agent: this device is new
        Assert.Equal(known, sameDevice);
        Assert.Equal(["new_sign_in", "new_sign_in"], newDevice);
        Assert.Equal(["two_factor_enabled", "password_changed", "new_sign_in", "new_sign_in"], all);
        Assert.Equal(4, mails);
    }
}
