using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OrleansSocial.Host.Tests;

public sealed class DocsTests(SocialFactory factory) : IClassFixture<SocialFactory>
{
    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_with_its_responses()
    {
        using var client = factory.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));
        var paths = document.GetProperty("paths");

        Assert.Equal("OrleansSocial API", document.GetProperty("info").GetProperty("title").GetString());
        Assert.True(paths.GetProperty("/health/live").GetProperty("get").GetProperty("responses").TryGetProperty("200", out _));
        var ready = paths.GetProperty("/health/ready").GetProperty("get").GetProperty("responses");
        Assert.True(ready.TryGetProperty("200", out _));
        Assert.True(ready.TryGetProperty("503", out _));
        Assert.True(paths.TryGetProperty("/metrics", out _));
    }

    [Fact]
    public async Task Swagger_ui_is_served_at_docs()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/docs/index.html", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_bare_docs_path_leads_to_swagger_ui()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/docs", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("/docs/index.html", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
