using System.Net;
using Npgsql;

namespace OrleansSocial.Host.Tests;

public sealed class ProfileTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private async Task<string> ColumnAsync(long id, string column)
    {
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var command = db.CreateCommand($"SELECT {column}::text FROM accounts WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Editing_the_profile_changes_what_me_returns_and_is_saved_in_the_accounts_row()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pr");

        var patched = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me",
            new { display_name = "  Ada Lovelace ", bio = "Analytical engines.\nPoetry.", website = "https://ada.example.org", is_private = true }, user.AccessToken);
        var me = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("Ada Lovelace", me.GetProperty("display_name").GetString());
        Assert.Equal("Analytical engines.\nPoetry.", me.GetProperty("bio").GetString());
        Assert.Equal("https://ada.example.org", me.GetProperty("website").GetString());
        Assert.True(me.GetProperty("is_private").GetBoolean());
        Assert.Equal("Ada Lovelace", await ColumnAsync(user.Id, "display_name"));
        Assert.Equal("true", await ColumnAsync(user.Id, "is_private"));
    }

    [Fact]
    public async Task Fields_left_out_of_a_patch_keep_their_values_and_an_empty_string_clears_one()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pr");
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { bio = "first bio", website = "http://example.org" }, user.AccessToken);

        var second = await (await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { website = "" }, user.AccessToken)).JsonAsync();

        Assert.Equal("first bio", second.GetProperty("bio").GetString());
        Assert.Equal("", second.GetProperty("website").GetString());
        Assert.Equal(user.Username, second.GetProperty("display_name").GetString());
    }

    [Fact]
    public async Task Invalid_profile_fields_are_each_named_and_nothing_is_changed()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pr");

        var response = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me",
            new { display_name = new string('x', 51), bio = new string('y', 501), website = "javascript:alert(1)", is_private = true }, user.AccessToken);
        var problem = await response.JsonAsync();
        var me = await (await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken)).JsonAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("display_name", out _));
        Assert.True(errors.TryGetProperty("bio", out _));
        Assert.True(errors.TryGetProperty("website", out _));
        Assert.False(me.GetProperty("is_private").GetBoolean());
    }

    [Fact]
    public async Task Editing_a_profile_needs_a_signed_in_user()
    {
        using var client = factory.CreateClient();

        var response = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { bio = "anonymous" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_profile_write_made_elsewhere_since_the_grain_read_the_row_is_a_conflict_and_the_retry_succeeds()
    {
        using var client = factory.CreateClient();
        var user = await client.NewUserAsync("pr");
        await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: user.AccessToken); // activates the grain
        await using (var db = NpgsqlDataSource.Create(factory.ConnectionString))
        {
            await using var command = db.CreateCommand("UPDATE accounts SET bio = 'written elsewhere', profile_version = profile_version + 1 WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = user.Id });
            await command.ExecuteNonQueryAsync();
        }

        var stale = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "Stale" }, user.AccessToken);
        var retried = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "Fresh" }, user.AccessToken);
        var me = await retried.JsonAsync();

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("Fresh", me.GetProperty("display_name").GetString());
        Assert.Equal("written elsewhere", me.GetProperty("bio").GetString());
    }
}
