using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using OrleansSocial.Api.Posts;

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
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        JsonResponseBuffer.Write(response, value, typeInfo);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>
/// Writes a JSON body whole into a buffer of this thread first, so the response carries a Content-Length (no chunk
/// framing, and the client can size its buffer), then copies it into the response pipe in one piece. Nothing awaits
/// while the buffer is in use, so one per thread is enough; one grown past 1 MiB is not kept.
/// </summary>
internal static class JsonResponseBuffer
{
    private const int InitialSize = 16 * 1024;
    private const int MaxKeptSize = 1024 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static void Write<T>(HttpResponse response, T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(InitialSize);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
            response.ContentLength = buffer.WrittenCount;
            response.BodyWriter.Write(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > MaxKeptSize)
            {
                t_buffer = null;
                t_writer = null;
            }
            else
            {
                buffer.ResetWrittenCount();
            }
        }
    }
}

/// <summary>Chooses the generated writer for a response when <see cref="ApiJsonContext"/> has one.</summary>
internal static class ApiResults
{
    // The generated writers, except that a post shared between readers is copied from the JSON kept with it.
    private static readonly ApiJsonContext Writers = new(new JsonSerializerOptions(ApiJsonContext.Default.Options) { Converters = { new SharedPostJsonConverter() } });

    /// <summary>200 with <paramref name="value"/> as JSON: by the generated writer when there is one for the type.</summary>
    public static IResult Ok<T>(T value) =>
        Writers.GetTypeInfo(typeof(T)) is JsonTypeInfo<T> info ? new GeneratedJsonResult<T>(value, info) : TypedResults.Ok(value);
}

/// <summary>
/// Writes a post response shared between readers (see <see cref="PostResponse.From"/>) by copying the JSON made when it
/// was rendered; any other post response as the generated writer does.
/// </summary>
internal sealed class SharedPostJsonConverter : JsonConverter<PostResponse>
{
    public override PostResponse? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize(ref reader, ApiJsonContext.Default.PostResponse);

    public override void Write(Utf8JsonWriter writer, PostResponse value, JsonSerializerOptions options)
    {
        if (PostResponse.SharedJsonOf(value) is { } json)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        else
        {
            JsonSerializer.Serialize(writer, value, ApiJsonContext.Default.PostResponse);
        }
    }
}
