using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;

namespace OrleansSocial.Host.Tests;

/// <summary>The host with the Orleans dashboard turned on.</summary>
public sealed class DashboardFactory : AdminFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Dashboard:Enabled", "true");
        builder.UseSetting("Accounts:RequireVerifiedEmail", "false");
    }
}

public sealed class DashboardTests
{
    private static async Task<HttpStatusCode> DashboardAsync(HttpClient client, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task The_dashboard_is_off_by_default()
    {
        await using var factory = new AdminFactory();
        using var client = factory.CreateClient();
        var admin = await ApiClient.SignInAsync(client, "root_admin", AdminFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.NotFound, await DashboardAsync(client, admin.Access));
    }

    [Fact]
    public async Task Turned_on_the_dashboard_is_for_administrators_only()
    {
        await using var factory = new DashboardFactory();
        using var client = factory.CreateClient();
        var admin = await ApiClient.SignInAsync(client, "root_admin", AdminFactory.AdminPassword);
        var user = await client.NewUserAsync("dash");

        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardAsync(client, null));
        Assert.Equal(HttpStatusCode.Forbidden, await DashboardAsync(client, user.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await DashboardAsync(client, admin.Access));
    }
}
