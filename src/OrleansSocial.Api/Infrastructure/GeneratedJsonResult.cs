using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// A 200 whose body is written by the serializer generated for its type (<see cref="ApiJsonContext"/>) straight into
/// the response's pipe. <c>TypedResults.Ok</c> resolves the type through the API's options, whose settings differ from
/// the generated ones in ways that only matter for reading, and so falls back to the slower metadata-driven writer.
/// </summary>
internal sealed class GeneratedJsonResult<T>(T value, JsonTypeInfo<T> typeInfo) : IResult, IStatusCodeHttpResult, IValueHttpResult<T>, IValueHttpResult
{
    public T Value => value;

    object? IValueHttpResult.Value => value;

    public int? StatusCode => StatusCodes.Status200OK;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        var body = httpContext.Response.BodyWriter;
        using (var writer = new Utf8JsonWriter(body))
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }

        await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>Chooses the generated writer for a response when <see cref="ApiJsonContext"/> has one.</summary>
internal static class ApiResults
{
    /// <summary>200 with <paramref name="value"/> as JSON: by the generated writer when there is one for the type.</summary>
    public static IResult Ok<T>(T value) =>
        ApiJsonContext.Default.GetTypeInfo(typeof(T)) is JsonTypeInfo<T> info ? new GeneratedJsonResult<T>(value, info) : TypedResults.Ok(value);
}
