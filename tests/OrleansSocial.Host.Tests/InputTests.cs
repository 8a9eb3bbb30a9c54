using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansSocial.Host.Tests;

/// <summary>
/// Every string a client can send, on every endpoint of the API (found from the routing table, not listed by hand): each
/// class of refused character answers 400 naming the field, never a 500 and never a change.
/// </summary>
public sealed class InputTests(AccountsFactory factory) : IClassFixture<AccountsFactory>
{
    // The classes of character the rule refuses, each as it is written in JSON; whether a URL can carry it.
    private static readonly (string Name, string Json, string? Url)[] Refused =
    [
        ("NUL", "\\u0000", "%00"),
        ("C0 control", "\\u0001", "%01"),
        ("escape", "\\u001b", "%1B"),
        ("DEL", "\\u007f", "%7F"),
        ("C1 control", "\\u0085", "%C2%85"),
        ("unpaired high surrogate", "\\ud800", null),
        ("unpaired low surrogate", "\\udc00", null),
    ];

    private sealed record Input(string Where, string Field, bool LongText);

    [Fact]
    public async Task Every_string_field_of_every_endpoint_refuses_each_control_class_with_a_400_naming_the_field()
    {
        using var client = factory.CreateClient();
        var user = (await factory.Services.QuickUsersAsync(1, "in"))[0];
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true).ToList();
        var failures = new List<string>();
        var cells = 0;
        foreach (var endpoint in endpoints)
        {
            var method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Single();
            foreach (var input in InputsOf(endpoint))
            {
                // A URL cannot carry an unpaired surrogate (it decodes to U+FFFD), and the server refuses a path holding NUL
                // before routing: those classes are sent where they can be.
                var classes = Refused.Where(r => input.Where == "body" || (r.Url is not null && !(input.Where == "route" && r.Name == "NUL")))
                    .Select(r => (r.Name, r.Json, r.Url)).ToList();
                if (!input.LongText)
                {
                    classes.Add(("line break in one-line text", "\\n", "%0A"));
                }

                foreach (var (name, json, url) in classes)
                {
                    cells++;
                    var path = Path(endpoint, input.Where == "route" ? input.Field : null, url);
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", user.AccessToken);
                    switch (input.Where)
                    {
                        case "body":
                            request.Content = new StringContent($"{{\"{input.Field}\":\"ok{json}ok\"}}", Encoding.UTF8, "application/json");
                            break;
                        case "query":
                            request.RequestUri = new Uri($"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{input.Field}=ok{url}ok", UriKind.Relative);
                            break;
                        case "header":
                            request.Headers.TryAddWithoutValidation(input.Field, "ok" + Uri.UnescapeDataString(url!) + "ok");
                            break;
                    }

                    if (request.Content is null && method is "POST" or "PATCH" or "PUT" && endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not null)
                    {
                        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    }

                    var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.BadRequest || !NamesField(body, input.Field))
                    {
                        failures.Add($"{method} {endpoint.RoutePattern.RawText}, {input.Where} {input.Field}, {name}: {(int)response.StatusCode} {body}");
                    }
                }
            }
        }

        Assert.True(cells > 100, $"only {cells} cells: the endpoints were not found");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cells} refused:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task Emails_and_hashtags_are_compared_in_normal_form_c_and_display_names_refuse_bidi_overrides()
    {
        using var client = factory.CreateClient();
        var local = "n" + Guid.NewGuid().ToString("N")[..10];
        var composed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts",
            new { username = local + "a", email = $"{local}\u00e9@example.org", password = ApiClient.Password });
        var decomposed = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/accounts",
            new { username = local + "b", email = $"{local}e\u0301@example.org", password = ApiClient.Password });
        var signedIn = await client.SendJsonAsync(HttpMethod.Post, "/api/v1/sessions", new { login = $"{local}e\u0301@example.org", password = ApiClient.Password });

        var user = (await factory.Services.QuickUsersAsync(1, "nf"))[0];
        var tag = "caf" + Guid.NewGuid().ToString("N")[..6];
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"#{tag}e\u0301 decomposed" }, user.AccessToken);
        await client.SendJsonAsync(HttpMethod.Post, "/api/v1/posts", new { text = $"#{tag}\u00e9 composed" }, user.AccessToken);
        var taggedResponse = await client.SendJsonAsync(HttpMethod.Get, $"/api/v1/timelines/tag/{tag}e\u0301");
        var taggedBody = await taggedResponse.JsonAsync();
        Assert.True(taggedBody.ValueKind == JsonValueKind.Array, taggedBody.ToString());
        var tagged = taggedBody.EnumerateArray().Count();
        var overridden = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "admin\u202Etxt.exe" }, user.AccessToken);
        var isolated = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "a\u2067b" }, user.AccessToken);
        var plain = await client.SendJsonAsync(HttpMethod.Patch, "/api/v1/accounts/me", new { display_name = "Zoë e\u0301" }, user.AccessToken);

        Assert.Equal(HttpStatusCode.Created, composed.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, decomposed.StatusCode);
        Assert.Equal("email", (await decomposed.JsonAsync()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal(2, tagged);
        Assert.Equal(HttpStatusCode.BadRequest, overridden.StatusCode);
        Assert.True((await overridden.JsonAsync()).GetProperty("errors").TryGetProperty("display_name", out _));
        Assert.Equal(HttpStatusCode.BadRequest, isolated.StatusCode);
        Assert.Equal("Zoë \u00e9", (await plain.JsonAsync()).GetProperty("display_name").GetString());
    }

    private static bool NamesField(string body, string field)
    {
        try
        {
            var problem = JsonDocument.Parse(body).RootElement;
            return (problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _))
                || (problem.TryGetProperty("field", out var named) && named.GetString() == field);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // The strings an endpoint takes: its JSON body's string fields, its string parameters (route, query, header), and the
    // paging cursors of the lists it reads from the query itself.
    private static IEnumerable<Input> InputsOf(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is { } body)
        {
            foreach (var property in body.GetProperties().Where(p => p.PropertyType == typeof(string) || p.PropertyType == typeof(string[])))
            {
                var longText = property.GetCustomAttributes().Any(a => a.GetType().Name == "LongTextAttribute");
                yield return new Input("body", JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name), longText);
            }
        }

        var method = endpoint.Metadata.GetMetadata<MethodInfo>();
        foreach (var p in method?.GetParameters() ?? [])
        {
            if (p.ParameterType == typeof(HttpContext))
            {
                yield return new Input("query", "max_id", false);
            }
            else if (p.ParameterType == typeof(string) || p.ParameterType == typeof(string[]))
            {
                if (p.GetCustomAttribute<FromHeaderAttribute>() is { } header)
                {
                    yield return new Input("header", header.Name ?? p.Name!, false);
                }
                else if (endpoint.RoutePattern.GetParameter(p.Name!) is not null)
                {
                    yield return new Input("route", p.Name!, false);
                }
                else
                {
                    yield return new Input("query", p.GetCustomAttribute<FromQueryAttribute>()?.Name ?? p.Name!, false);
                }
            }
        }
    }

    // The endpoint's path with its route values filled in (any id: the check comes before the lookup), one of them
    // carrying the refused character when it is the field under test.
    private static string Path(RouteEndpoint endpoint, string? badParameter, string? bad) =>
        "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter when parameter.Name == badParameter => $"ok{bad}ok",
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => parameter.ParameterPolicies.Any(p => p.Content == "guid")
                ? Guid.NewGuid().ToString()
                : parameter.ParameterPolicies.Any(p => p.Content == "long") ? "1" : "word",
            _ => "",
        }))));
}
