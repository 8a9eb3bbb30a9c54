using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

public sealed class EmailTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private Task<string> VerificationTokenAsync(TestUser user, int previous = 0) =>
        ApiClient.WaitForEmailedTokenAsync(factory.ConnectionString, user.Email, "Confirm your email", previous);

    private Task<string> ResetTokenAsync(string email) => ApiClient.WaitForEmailedTokenAsync(factory.ConnectionString, email, "Reset your password");

    [Fact]
    public async Task Signing_up_emails_a_link_that_confirms_the_address_exactly_once()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("em");
        var before = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();
        var token = await VerificationTokenAsync(user);

        var verified = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/verify_email", new { token });
        var again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/verify_email", new { token });
        var after = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();

        Assert.False(before.GetProperty("email_verified").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, verified.StatusCode);
        Assert.True(after.GetProperty("email_verified").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.True((await again.JsonAsync()).GetProperty("errors").TryGetProperty("token", out _));
    }

    [Fact]
    public async Task A_new_verification_link_retires_the_previous_one_and_a_confirmed_address_needs_none()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("em");
        var first = await VerificationTokenAsync(user);

        var resent = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/verify_email", token: user.AccessToken);
        var second = await VerificationTokenAsync(user, previous: 1);
        var withFirst = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/verify_email", new { token = first });
        var withSecond = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/verify_email", new { token = second });
        var resendAfter = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/me/verify_email", token: user.AccessToken);

        Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.BadRequest, withFirst.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, withSecond.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, resendAfter.StatusCode);
    }

    [Fact]
    public async Task Forgot_password_answers_the_same_for_an_unknown_address_and_sends_it_nothing()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("em");
        var unknown = $"nobody-{Guid.NewGuid():N}@example.org";

        var known = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/forgot", new { email = user.Email.ToUpperInvariant() });
        var notKnown = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/forgot", new { email = unknown });
        await ResetTokenAsync(user.Email);

        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, notKnown.StatusCode);
        Assert.Equal(await known.Content.ReadAsStringAsync(), await notKnown.Content.ReadAsStringAsync());
        await Assert.ThrowsAsync<TimeoutException>(() => ResetTokenAsync(unknown));
    }

    [Fact]
    public async Task A_reset_token_sets_a_new_password_once_and_signs_out_every_session()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("em");
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/forgot", new { email = user.Email });
        var token = await ResetTokenAsync(user.Email);

        var weak = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/reset", new { token, new_password = "short" });
        var reset = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/reset", new { token, new_password = "a fresh passphrase" });
        var reused = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/reset", new { token, new_password = "yet another passphrase" });
        var oldPassword = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password });
        var newPassword = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = "a fresh passphrase" });
        var oldRefresh = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions/refresh", new { refresh_token = user.RefreshToken });

        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.True((await weak.JsonAsync()).GetProperty("errors").TryGetProperty("new_password", out _));
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.True((await reused.JsonAsync()).GetProperty("errors").TryGetProperty("token", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldRefresh.StatusCode);
    }

    [Fact]
    public async Task A_reset_token_lives_one_hour_and_an_expired_one_is_refused()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("em");
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/forgot", new { email = user.Email });
        var token = await ResetTokenAsync(user.Email);
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using (var lifetime = db.CreateCommand(
            "SELECT expires_at - created_at FROM email_tokens WHERE account_id = $1 AND purpose = 'reset_password' AND used_at IS NULL"))
        {
            lifetime.Parameters.Add(new NpgsqlParameter { Value = user.Id });
            Assert.Equal(TimeSpan.FromHours(1), (TimeSpan)(await lifetime.ExecuteScalarAsync())!);
        }

        await using (var expire = db.CreateCommand("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE account_id = $1"))
        {
            expire.Parameters.Add(new NpgsqlParameter { Value = user.Id });
            await expire.ExecuteNonQueryAsync();
        }

        var reset = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/passwords/reset", new { token, new_password = "a fresh passphrase" });

        Assert.Equal(HttpStatusCode.BadRequest, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password })).StatusCode);
    }
}

/// <summary>The host sending mail through an SMTP relay (a real SMTP peer on loopback).</summary>
public sealed class SmtpFactory : SocialFactory
{
    public SmtpSink Sink { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ConnectionStrings:Postgres", PostgresServer.Instance.CreateDatabase("smtp"));
        // Hosts in one test process share in-memory streams per cluster: each gets its own, so user ids of other databases never collide.
        builder.UseSetting("Cluster:ClusterId", "test-" + Guid.NewGuid().ToString("N"));
        builder.UseSetting("Auth:SigningKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("Email:Smtp:Host", "127.0.0.1");
        builder.UseSetting("Email:Smtp:Port", Sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Email:Smtp:EnableSsl", "false");
        builder.UseSetting("Email:From", "OrleansSocial <hello@social.example>");
        builder.UseSetting("Email:PublicBaseUrl", "https://social.example");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Sink.DisposeAsync();
    }
}

public sealed class SmtpEmailTests(SmtpFactory factory) : IClassFixture<SmtpFactory>
{
    [Fact]
    public async Task With_an_smtp_relay_configured_the_verification_email_goes_over_smtp_and_its_link_works()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("smtp");

        var mail = await factory.Sink.WaitForAsync(user.Email, TimeSpan.FromSeconds(15));
        var body = mail.Data.Replace("=\r\n", "", StringComparison.Ordinal).Replace("=\n", "", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        var verified = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts/verify_email", new { token = ApiClient.TokenInLink(body) });

        Assert.Equal("hello@social.example", mail.From);
        Assert.Contains("Subject: Confirm your email address", mail.Data, StringComparison.Ordinal);
        Assert.Contains("https://social.example/verify-email?token=", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, verified.StatusCode);
    }
}
