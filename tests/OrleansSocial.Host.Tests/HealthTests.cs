using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OrleansSocial.Host.Tests;

public sealed class HealthTests(SocialFactory factory) : IClassFixture<SocialFactory>
{
    [Fact]
    public async Task Health_live_answers_200()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_ready_reports_the_silo_active()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        var membership = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "membership");
        Assert.Equal("Healthy", membership.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem_document()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/api/v1/no/such/route", UriKind.Relative)); // other paths are the web client's routes

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem_document()
    {
        using var client = factory.CreateClient();

        var response = await client.DeleteAsync(new Uri("/health/live", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(405, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Responses_carry_security_headers()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }
}
