using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using OrleansSocial.Runtime.Core;

namespace OrleansSocial.Runtime.Messaging;

internal enum FrameKind : byte
{
    Request = 1,
    Response = 2,
    Ping = 3,
    Pong = 4,
}

/// <summary>A request as read off the wire.</summary>
internal sealed record RemoteRequest(GrainId Target, GrainClassInfo ClassInfo, GrainMethod Method, object?[] Arguments, CallContext? Context, int Hops, TimeSpan? Timeout);

/// <summary>
/// The silo-to-silo wire format. A frame is a 4-byte little-endian length, then a kind byte, an 8-byte correlation id
/// and a UTF-8 JSON body. Requests carry target, method key, arguments, call chain, re-entry permissions, request
/// context, hop count and the time the caller still waits; responses carry the result or the exception's type and message. Grain references travel
/// as their grain ids (the serializer options include the grain reference converter).
/// </summary>
internal static class WireFormat
{
    public const int HeaderSize = 4 + 1 + 8;
    public const int MaxFrameSize = 16 * 1024 * 1024;

    public static byte[] Control(FrameKind kind, long id) => Frame(kind, id, static (_, _) => { }, 0);

    public static byte[] Request(long id, Message message, TimeSpan? remaining, JsonSerializerOptions options) => Frame(FrameKind.Request, id, (writer, m) =>
    {
        writer.WriteStartObject();
        writer.WriteString("target", m.Target.ToString());
        writer.WriteString("method", m.Method!.Key);
        writer.WriteNumber("hops", m.Hops);
        if (remaining is { } left)
        {
            writer.WriteNumber("timeoutMs", Math.Max(0, (long)left.TotalMilliseconds));
        }

        writer.WriteStartArray("args");
        var types = m.Method.ParameterTypes;
        for (var i = 0; i < types.Length; i++)
        {
            JsonSerializer.Serialize(writer, m.Arguments?[i], types[i], options);
        }

        writer.WriteEndArray();
        var context = m.Context;
        WriteIds(writer, "chain", context?.OutgoingChain);
        WriteIds(writer, "reentrant", context?.ReentrantFor);
        if (context?.Values is { Count: > 0 } values)
        {
            writer.WriteStartObject("ctx");
            foreach (var (key, value) in values)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(object), options);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }, message);

    public static byte[] Response(long id, Type? resultType, object? result, Exception? error, JsonSerializerOptions options) =>
        Frame(FrameKind.Response, id, (writer, _) =>
        {
            writer.WriteStartObject();
            if (error is null)
            {
                writer.WriteBoolean("ok", true);
                if (resultType is not null)
                {
                    writer.WritePropertyName("result");
                    JsonSerializer.Serialize(writer, result, resultType, options);
                }
            }
            else
            {
                writer.WriteBoolean("ok", false);
                writer.WriteString("type", error.GetType().AssemblyQualifiedName);
                writer.WriteString("message", error.Message);
            }

            writer.WriteEndObject();
        }, 0);

    public static RemoteRequest ReadRequest(ReadOnlySpan<byte> json, GrainTypeRegistry registry, JsonSerializerOptions options)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        var target = GrainId.Parse(root.GetProperty("target").GetString()!);
        var info = registry.GetByGrainType(target.Type);
        var key = root.GetProperty("method").GetString()!;
        if (!info.MethodsByKey.TryGetValue(key, out var method))
        {
            throw new OrleansException($"Grain class {info.GrainClass} has no method {key}; are the silos running the same version?");
        }

        var args = new object?[method.ParameterTypes.Length];
        var i = 0;
        foreach (var element in root.GetProperty("args").EnumerateArray())
        {
            args[i] = element.Deserialize(method.ParameterTypes[i], options);
            i++;
        }

        var chain = ReadIds(root, "chain");
        var reentrant = ReadIds(root, "reentrant");
        ImmutableDictionary<string, object?>? values = null;
        if (root.TryGetProperty("ctx", out var ctx))
        {
            var builder = ImmutableDictionary.CreateBuilder<string, object?>(StringComparer.Ordinal);
            foreach (var property in ctx.EnumerateObject())
            {
                builder[property.Name] = Scalar(property.Value);
            }

            values = builder.ToImmutable();
        }

        var context = chain is null && reentrant is null && values is null ? null : new CallContext(null, chain, reentrant, values);
        TimeSpan? timeout = root.TryGetProperty("timeoutMs", out var ms) ? TimeSpan.FromMilliseconds(ms.GetInt64()) : null;
        return new RemoteRequest(target, info, method, args, context, root.GetProperty("hops").GetInt32(), timeout);
    }

    /// <summary>Completes <paramref name="message"/> from a response body.</summary>
    public static void CompleteFromResponse(ReadOnlySpan<byte> json, Message message, JsonSerializerOptions options)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.GetProperty("ok").GetBoolean())
            {
                var resultType = message.Method?.ResultType;
                message.TrySetResult(resultType is null ? null : root.GetProperty("result").Deserialize(resultType, options));
            }
            else
            {
                message.TrySetException(RecreateException(root.GetProperty("type").GetString(), root.GetProperty("message").GetString() ?? ""));
            }
        }
        catch (JsonException e)
        {
            message.TrySetException(new OrleansException($"The response to {message.Describe()} could not be read: {e.Message}", e));
        }
    }

    /// <summary>Rebuilds an exception of the original type when it is known here and constructible from a message.</summary>
    internal static Exception RecreateException(string? typeName, string message)
    {
        var type = typeName is null ? null : Type.GetType(typeName, throwOnError: false);
        if (type is not null && typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract)
        {
            try
            {
                if (type.GetConstructor([typeof(string), typeof(Exception)]) is { } withInner)
                {
                    return (Exception)withInner.Invoke([message, null]);
                }

                if (type.GetConstructor([typeof(string)]) is { } withMessage)
                {
                    return (Exception)withMessage.Invoke([message]);
                }
            }
            catch (TargetInvocationException)
            {
                // Fall through to the generic form.
            }
        }

        return new OrleansException($"{typeName ?? "Exception"}: {message}");
    }

    private static object? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var l) ? l : value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };

    private static void WriteIds(Utf8JsonWriter writer, string name, GrainIdList? list)
    {
        if (list is null)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var id in GrainIdList.ToList(list))
        {
            writer.WriteStringValue(id.ToString());
        }

        writer.WriteEndArray();
    }

    private static GrainIdList? ReadIds(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var array))
        {
            return null;
        }

        GrainIdList? list = null;
        foreach (var item in array.EnumerateArray())
        {
            list = new GrainIdList(GrainId.Parse(item.GetString()!), list);
        }

        return list;
    }

    private static byte[] Frame<TState>(FrameKind kind, long id, Action<Utf8JsonWriter, TState> body, TState state)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var header = buffer.GetSpan(HeaderSize);
        header[4] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(header[5..], id);
        buffer.Advance(HeaderSize);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body(writer, state);
        }

        var frame = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(frame, frame.Length - 4);
        return frame;
    }
}
