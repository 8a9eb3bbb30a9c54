using System.Net;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

public sealed class CloseFriendsTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private const string List = "/api/v1/lists/close_friends/accounts";

    private static object Ids(params TestUser[] users) => new { account_ids = users.Select(u => u.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray() };

    private static async Task<string[]> NamesAsync(HttpClient client, TestUser owner, string query = "")
    {
        var response = await client.SendJsonAsync(HttpMethod.Get, List + query, token: owner.AccessToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.JsonAsync()).EnumerateArray().Select(a => a.GetProperty("username").GetString()!)];
    }

    [Fact]
    public async Task Accounts_put_on_the_list_are_listed_newest_first_repeats_change_nothing_and_removal_takes_them_off()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("cf");
        var (a, b, c) = (await client.NewUserAsync("cf"), await client.NewUserAsync("cf"), await client.NewUserAsync("cf"));

        var first = await (await client.SendJsonAsync(HttpMethod.Put, List, Ids(a, b), owner.AccessToken)).JsonAsync();
        var second = await (await client.SendJsonAsync(HttpMethod.Put, List, Ids(b, c), owner.AccessToken)).JsonAsync();
        var listed = await NamesAsync(client, owner);
        var paged = await NamesAsync(client, owner, "?limit=2");
        var removed = await (await client.SendJsonAsync(HttpMethod.Delete, List, Ids(b, b), owner.AccessToken)).JsonAsync();
        var again = await (await client.SendJsonAsync(HttpMethod.Delete, List, Ids(b), owner.AccessToken)).JsonAsync();
        var after = await NamesAsync(client, owner);

        Assert.Equal(2, first.GetProperty("changed").GetInt32());
        Assert.Equal(1, second.GetProperty("changed").GetInt32());
        Assert.Equal(3, listed.Length);
        Assert.Equal(c.Username, listed[0]);
        Assert.Equal(new[] { a.Username, b.Username }.Order(StringComparer.Ordinal), listed[1..].Order(StringComparer.Ordinal)); // added together: either order
        Assert.Equal(2, paged.Length);
        Assert.Equal(1, removed.GetProperty("changed").GetInt32());
        Assert.Equal(0, again.GetProperty("changed").GetInt32());
        Assert.Equal([c.Username, a.Username], after);
    }

    [Fact]
    public async Task Each_account_reads_only_its_own_list_and_nobody_else_sees_it()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("cf");
        var friend = await client.NewUserAsync("cf");
        var other = await client.NewUserAsync("cf");
        await client.SendJsonAsync(HttpMethod.Put, List, Ids(friend), owner.AccessToken);

        var friendsOwnList = await NamesAsync(client, friend);
        var othersList = await NamesAsync(client, other);
        var anonymous = await client.SendJsonAsync(HttpMethod.Get, List);
        var anonymousChange = await client.SendJsonAsync(HttpMethod.Put, List, Ids(other));

        Assert.Equal([friend.Username], await NamesAsync(client, owner));
        Assert.Empty(friendsOwnList);
        Assert.Empty(othersList);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousChange.StatusCode);
    }

    [Fact]
    public async Task A_block_either_way_takes_the_account_off_the_list_and_a_blocked_account_cannot_be_put_on_it()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("cf");
        var blocked = await client.NewUserAsync("cf");
        var blocker = await client.NewUserAsync("cf");
        await client.SendJsonAsync(HttpMethod.Put, List, Ids(blocked, blocker), owner.AccessToken);

        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{blocked.Id}/block", token: owner.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, $"/api/v1/accounts/{owner.Id}/block", token: blocker.AccessToken);
        var listed = await NamesAsync(client, owner);
        var readd = await client.SendJsonAsync(HttpMethod.Put, List, Ids(blocked), owner.AccessToken);
        var readdBlocker = await client.SendJsonAsync(HttpMethod.Put, List, Ids(blocker), owner.AccessToken);

        Assert.Empty(listed);
        Assert.Equal(HttpStatusCode.BadRequest, readd.StatusCode);
        Assert.True((await readd.JsonAsync()).GetProperty("errors").TryGetProperty("account_ids", out _));
        Assert.Equal(HttpStatusCode.BadRequest, readdBlocker.StatusCode);
        Assert.Empty(await NamesAsync(client, owner));
    }

    public static TheoryData<string, string> BadBodies() => new()
    {
        { "no ids", """{"account_ids":[]}""" },
        { "not an id", """{"account_ids":["12x"]}""" },
        { "a missing account", """{"account_ids":["999999999"]}""" },
        { "too many", JsonSerializer.Serialize(new { account_ids = Enumerable.Range(1, 101).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)) }) },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_account_ids_get_a_400_naming_the_field_and_add_nothing(string what, string body)
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("cf");
        var friend = await client.NewUserAsync("cf");
        // A valid id beside the bad ones: nothing of the request is applied.
        var json = body.Replace("[\"", $"[\"{friend.Id}\",\"", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Put, List) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", owner.AccessToken);

        var response = await client.SendAsync(request);
        var problem = await response.JsonAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty("account_ids", out _), $"{what}: {problem}");
        Assert.Empty(await NamesAsync(client, owner));
    }

    [Fact]
    public async Task Putting_yourself_on_your_own_list_is_refused()
    {
        using var client = factory.CreateClient();
        var owner = await client.NewUserAsync("cf");

        var response = await client.SendJsonAsync(HttpMethod.Put, List, Ids(owner), owner.AccessToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("account_ids", out _));
    }
}
