using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansSocial.Api.Infrastructure;

namespace OrleansSocial.Api.Tests;

public sealed class PaginationTests
{
    private static HttpContext Request(string query)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("social.example");
        context.Request.Path = "/api/v1/timelines/home";
        context.Request.QueryString = new QueryString(query);
        return context;
    }

    [Fact]
    public void Without_parameters_a_page_has_the_default_limit_and_no_cursors()
    {
        Assert.True(PageRequest.TryRead(Request("").Request, out var page, out var problem));

        Assert.Null(problem);
        Assert.Equal(new PageRequest(20, null, null, null), page);
    }

    [Fact]
    public void Cursors_are_read_as_opaque_strings()
    {
        Assert.True(PageRequest.TryRead(Request("?limit=40&max_id=01HZX&since_id=abc").Request, out var page, out _));

        Assert.Equal(new PageRequest(40, "01HZX", "abc", null), page);
    }

    [Theory]
    [InlineData("?limit=41", "limit")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?limit=5&limit=6", "limit")]
    [InlineData("?max_id=", "max_id")]
    [InlineData("?since_id=a&min_id=b", "min_id")]
    public void A_bad_parameter_is_a_validation_problem_naming_it(string query, string field)
    {
        Assert.False(PageRequest.TryRead(Request(query).Request, out _, out var problem));

        var validation = Assert.IsType<ValidationProblem>(problem);
        Assert.Equal(StatusCodes.Status400BadRequest, validation.StatusCode);
        Assert.True(validation.ProblemDetails.Errors.ContainsKey(field), JsonSerializer.Serialize(validation.ProblemDetails.Errors));
    }

    [Fact]
    public void The_link_header_points_to_older_and_newer_pages_keeping_other_parameters()
    {
        var context = Request("?limit=10&max_id=500&exclude_replies=true");
        Assert.True(PageRequest.TryRead(context.Request, out var page, out _));

        page.WriteLinkHeader(context, newestId: "499", oldestId: "490");

        Assert.Equal(
            "<https://social.example/api/v1/timelines/home?exclude_replies=true&limit=10&max_id=490>; rel=\"next\", " +
            "<https://social.example/api/v1/timelines/home?exclude_replies=true&limit=10&min_id=499>; rel=\"prev\"",
            context.Response.Headers.Link.ToString());
    }

    [Fact]
    public void An_empty_page_has_no_link_header()
    {
        var context = Request("");
        Assert.True(PageRequest.TryRead(context.Request, out var page, out _));

        page.WriteLinkHeader(context, null, null);

        Assert.False(context.Response.Headers.ContainsKey("Link"));
    }
}
