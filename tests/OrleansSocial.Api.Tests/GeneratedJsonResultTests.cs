using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Relationships;

namespace OrleansSocial.Api.Tests;

public sealed class GeneratedJsonResultTests
{
    private static PublicAccountResponse Account(long id, string bio) =>
        new(id.ToString(System.Globalization.CultureInfo.InvariantCulture), "user" + id, "User " + id, bio, "", false,
            DateTimeOffset.UnixEpoch, 1, 2, 3, "/media/default/avatar.png", "/media/default/avatar.png", "/media/default/header.png");

    private static async Task<(long? ContentLength, byte[] Body)> WriteAsync(PublicAccountResponse[] accounts)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await ApiResults.Ok(accounts).ExecuteAsync(context);

        return (context.Response.ContentLength, body.ToArray());
    }

    [Fact]
    public async Task A_body_is_sent_with_a_content_length_and_a_smaller_one_after_it_carries_nothing_of_the_first()
    {
        var (bigLength, big) = await WriteAsync([.. Enumerable.Range(1, 50).Select(i => Account(i, new string('é', 500)))]);
        var (smallLength, small) = await WriteAsync([Account(7, "short")]);

        Assert.Equal(big.Length, bigLength);
        Assert.Equal(50, JsonDocument.Parse(big).RootElement.GetArrayLength());
        Assert.Equal(small.Length, smallLength);
        var only = Assert.Single(JsonDocument.Parse(small).RootElement.EnumerateArray());
        Assert.Equal("short", only.GetProperty("bio").GetString());
    }
}
