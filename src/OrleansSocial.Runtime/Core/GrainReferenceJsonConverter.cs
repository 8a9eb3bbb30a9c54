using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansSocial.Runtime;

/// <summary>
/// Serialises grain references (any property typed as a grain interface) as their <see cref="GrainId"/> string and
/// turns the string back into a working reference bound to <paramref name="grainFactory"/>.
/// </summary>
public sealed class GrainReferenceJsonConverterFactory(IGrainFactory grainFactory) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsInterface && typeof(IAddressable).IsAssignableFrom(typeToConvert) || typeToConvert == typeof(GrainReference);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert), grainFactory)!;

    private sealed class Converter<T>(IGrainFactory grainFactory) : JsonConverter<T>
        where T : class
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            var text = reader.GetString() ?? throw new JsonException("A grain reference must be a string 'type/key'.");
            GrainId id;
            try
            {
                id = GrainId.Parse(text);
            }
            catch (FormatException e)
            {
                throw new JsonException(e.Message, e);
            }

            var interfaceType = typeToConvert == typeof(GrainReference) ? typeof(IAddressable) : typeToConvert;
            return (T)grainFactory.GetGrain(interfaceType, id);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(((IAddressable)value).GetGrainId().ToString());
    }
}
