using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The host on a PostgreSQL server of its own, which the test stops and starts.</summary>
public sealed class OwnDatabaseFactory : SocialFactory
{
    public PostgresServer Database { get; } = PostgresServer.StartNew();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("ConnectionStrings:Postgres", Database.CreateDatabase("down"));
        builder.UseSetting("Cluster:ClusterId", "test-" + Guid.NewGuid().ToString("N"));
        builder.UseSetting("Auth:SigningKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        builder.UseSetting("Accounts:RequireVerifiedEmail", "false");
    }
}

/// <summary>A dependency that is down answers 503 with Retry-After, and serving resumes by itself when it is back.</summary>
public sealed class DependencyDownTests(OwnDatabaseFactory factory) : IClassFixture<OwnDatabaseFactory>
{
    [Fact]
    public async Task With_the_database_down_writes_and_sign_ins_answer_503_with_retry_after_and_work_again_once_it_is_back()
    {
        using var client = factory.CreateClient();
        var alice = await client.NewUserAsync("down");

        factory.Database.Kill();
        HttpResponseMessage post, login;
        try
        {
            post = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "while the database is down" }, alice.AccessToken);
            login = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = alice.Username, password = alice.Password });
        }
        finally
        {
            factory.Database.Start();
        }

        foreach (var response in new[] { post, login })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"dependency\":\"database\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Npgsql", body, StringComparison.Ordinal);
        }

        HttpResponseMessage again = null!;
        for (var i = 0; i < 40; i++)
        {
            again = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = "the database is back" }, alice.AccessToken);
            if (again.StatusCode != HttpStatusCode.ServiceUnavailable)
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }
}
