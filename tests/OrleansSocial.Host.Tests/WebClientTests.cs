using System.Net;

namespace OrleansSocial.Host.Tests;

/// <summary>A host serving a web client build from a directory of its own.</summary>
public sealed class WebClientFactory : AccountsFactory
{
    public string Root { get; } = CreateBuild();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Web:Root"] = Root };

    private static string CreateBuild()
    {
        var root = Directory.CreateTempSubdirectory("social-web-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "assets"));
        File.WriteAllText(Path.Combine(root, "index.html"), "<!doctype html><title>OrleansSocial</title><div id=\"root\"></div>");
        File.WriteAllText(Path.Combine(root, "assets", "index-abc123.js"), "console.log('app');");
        return root;
    }
}

public sealed class WebClientTests(WebClientFactory factory) : IClassFixture<WebClientFactory>
{
    [Fact]
    public async Task The_client_is_served_at_the_root_with_a_strict_policy_its_hashed_assets_cached_for_good_and_client_routes_fall_back_to_it()
    {
        using var client = factory.CreateClient();
        var root = await client.GetAsync(new Uri("/", UriKind.Relative));
        var route = await client.GetAsync(new Uri("/profile/ann/media", UriKind.Relative));
        var asset = await client.GetAsync(new Uri("/assets/index-abc123.js", UriKind.Relative));
        var missingFile = await client.GetAsync(new Uri("/assets/nope-000.js", UriKind.Relative));
        var unknownApi = await client.GetAsync(new Uri("/api/v1/no_such_thing", UriKind.Relative));
        var posted = await client.PostAsync(new Uri("/profile/ann", UriKind.Relative), null);
        var health = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        var dashboard = await client.GetAsync(new Uri("/dashboard", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Contains("<div id=\"root\">", await root.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.True(root.Headers.CacheControl?.NoCache);
        var policy = string.Join(";", root.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, route.StatusCode);
        Assert.Equal(await root.Content.ReadAsStringAsync(), await route.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal(TimeSpan.FromDays(365), asset.Headers.CacheControl?.MaxAge);
        Assert.Contains("immutable", asset.Headers.CacheControl!.Extensions.Select(e => e.Name));
        Assert.Equal(HttpStatusCode.NotFound, missingFile.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode);
        Assert.NotEqual("text/html", unknownApi.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, posted.StatusCode); // a client route is read, never written
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, dashboard.StatusCode); // the server's path (its dashboard is off), not a client route
    }
}
