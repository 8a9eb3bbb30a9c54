using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSocial.Host.Tests;

/// <summary>The web client's sessions: the refresh token lives in an httpOnly cookie, never in the page.</summary>
public sealed class BrowserSessionTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    private static HttpRequestMessage Request(HttpMethod method, string path, object? body = null, string? cookie = null, bool browser = true)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (browser)
        {
            request.Headers.Add("X-Refresh-Cookie", "1");
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    private static string? SetCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith("os_refresh=", StringComparison.Ordinal)) : null;

    [Fact]
    public async Task A_browser_sign_in_keeps_the_refresh_token_in_an_http_only_strict_cookie_that_refreshes_only_with_the_header_and_sign_out_clears()
    {
        using var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });
        var user = await client.NewUserAsync("br");

        var signIn = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password }));
        var body = await signIn.JsonAsync();
        var setCookie = SetCookie(signIn)!;
        var cookie = setCookie.Split(';')[0];

        var withoutHeader = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions/refresh", new { }, cookie, browser: false));
        var refreshed = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions/refresh", new { }, cookie));
        var rotated = SetCookie(refreshed)!.Split(';')[0];
        var access = (await refreshed.JsonAsync()).GetProperty("access_token").GetString();
        var me = await client.SendJsonAsync(HttpMethod.Get, "/api/v1/accounts/me", token: access);
        var reused = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions/refresh", new { }, cookie)); // the spent one: the session ends
        var afterReuse = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions/refresh", new { }, rotated));

        var second = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password }));
        var secondAccess = (await second.JsonAsync()).GetProperty("access_token").GetString();
        using var logout = Request(HttpMethod.Delete, "/api/v1/sessions/current", cookie: SetCookie(second)!.Split(';')[0]);
        logout.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secondAccess);
        var signedOut = await client.SendAsync(logout);

        var app = await client.SendAsync(Request(HttpMethod.Post, "/api/v1/sessions", new { login = user.Username, password = user.Password }, browser: false));

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal("", body.GetProperty("refresh_token").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("access_token").GetString()));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/api/v1/sessions", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.BadRequest, withoutHeader.StatusCode); // no header, no cookie read: a cross-site form cannot refresh
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.NotEqual(cookie, rotated);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterReuse.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        Assert.Contains("expires=", SetCookie(signedOut)!, StringComparison.OrdinalIgnoreCase);
        Assert.Null(SetCookie(app));
        Assert.False(string.IsNullOrEmpty((await app.JsonAsync()).GetProperty("refresh_token").GetString())); // app clients: unchanged
    }
}
