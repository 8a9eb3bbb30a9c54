using System.Net;

namespace OrleansSocial.Host.Tests;

public sealed class AccountSearchTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static async Task<string[]> SearchAsync(HttpClient client, TestUser viewer, string q)
    {
        var response = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/accounts/search?q={Uri.EscapeDataString(q)}&limit=40", token: viewer.AccessToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).EnumerateArray().Select(a => a.GetProperty("username").GetString()!).ToArray();
    }

    [Fact]
    public async Task Accounts_are_found_by_username_prefix_and_by_a_misspelled_display_name()
    {
        using var client = factory.CreateClient();
        var viewer = await client.NewUserAsync("se");
        var target = await client.NewUserAsync("se");
        var surname = "Quizzlewick" + Guid.NewGuid().ToString("N")[..6];
        await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = $"Ottilie {surname}" }, target.AccessToken);

        var byPrefix = await SearchAsync(client, viewer, "@" + target.Username[..10].ToUpperInvariant());
        var byTypo = await SearchAsync(client, viewer, $"Otilie {surname}");

        Assert.Contains(target.Username, byPrefix);
        Assert.Contains(target.Username, byTypo);
    }

    [Fact]
    public async Task Blocked_accounts_never_appear_in_either_sides_results()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("sb");
        var bob = await client.NewUserAsync("sb");
        Assert.Contains(bob.Username, await SearchAsync(client, alice, bob.Username));

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{bob.Id}/block", token: alice.AccessToken);

        Assert.DoesNotContain(bob.Username, await SearchAsync(client, alice, bob.Username));
        Assert.DoesNotContain(alice.Username, await SearchAsync(client, bob, alice.Username));
    }

    [Theory]
    [InlineData("q=", "q")]
    [InlineData("q=%25%25%25&limit=0", "limit")]
    [InlineData("q=a&offset=-1", "offset")]
    public async Task Bad_searches_are_validation_problems_naming_the_parameter(string query, string field)
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri($"/api/v1/accounts/search?{query}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Like_wildcards_in_a_query_match_only_themselves()
    {
        using var client = factory.CreateClient();
        var viewer = await client.NewUserAsync("sw");

        var results = await SearchAsync(client, viewer, "%");

        Assert.Empty(results);
    }
}
