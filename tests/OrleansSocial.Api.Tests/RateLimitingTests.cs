using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using OrleansSocial.Api.Infrastructure;

namespace OrleansSocial.Api.Tests;

public sealed class RateLimitingTests
{
    private static async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Api:RateLimit:PermitsPerMinutePerIp"] = "5";
        builder.Configuration["Api:RateLimit:AuthPermitsPerMinutePerIp"] = "2";
        builder.AddOrleansSocialApi();
        var app = builder.Build();
        app.UseOrleansSocialApi();
        app.MapGet("/api/v1/ping", () => TypedResults.Ok("pong"));
        app.MapPost("/api/v1/sessions", () => TypedResults.Ok("signed in")).RequireRateLimiting(RateLimiting.AuthPolicy);
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Requests_over_the_per_ip_limit_get_429_with_retry_after_and_a_problem_document()
    {
        await using var app = await StartAsync();
        using var client = app.GetTestClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 7; i++)
        {
            var response = await client.GetAsync(new Uri("/api/v1/ping", UriKind.Relative));
            statuses.Add(response.StatusCode);
            refused ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.NotNull(refused);
        Assert.True(int.Parse(refused.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("0", refused.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.True(refused.Headers.Contains("RateLimit-Reset"));
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Auth_endpoints_have_a_stricter_limit()
    {
        await using var app = await StartAsync();
        using var client = app.GetTestClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.PostAsync(new Uri("/api/v1/sessions", UriKind.Relative), null)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Health_and_metrics_are_not_rate_limited()
    {
        await using var app = await StartAsync();
        using var client = app.GetTestClient();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        }
    }
}
