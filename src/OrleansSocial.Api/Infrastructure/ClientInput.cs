using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using OrleansSocial.Text;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>Marks a request field as long text (a post, comment, message or bio): tabs and line breaks are allowed in it.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class LongTextAttribute : Attribute;

/// <summary>
/// Holds every string a request hands an endpoint to <see cref="ClientText.Problem"/> before the endpoint runs: the
/// string fields of its JSON body (and string lists), its string query, route and header parameters, and every query
/// string value. A refused one answers 400 with a problem naming the field (snake_case, as the client wrote it), so
/// no control character or broken surrogate reaches a grain or the database. Endpoints with nothing to check run
/// without the filter.
/// </summary>
public static class ClientInput
{
    private static readonly ConcurrentDictionary<Type, (PropertyInfo Property, string Field, bool LongText)[]> BodyFields = new();

    /// <summary>Adds the check to every endpoint of <paramref name="builder"/>.</summary>
    public static TBuilder CheckClientText<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory(Create);

    private static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var checks = new List<(int Index, string Field, bool LongText, Type Type)>();
        var parameters = context.MethodInfo.GetParameters();
        var services = context.ApplicationServices.GetService(typeof(Microsoft.Extensions.DependencyInjection.IServiceProviderIsService))
            as Microsoft.Extensions.DependencyInjection.IServiceProviderIsService;
        var readsQuery = false;
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
            if (type == typeof(HttpContext) || type == typeof(HttpRequest))
            {
                readsQuery = true; // reads the query itself (paging, filters)
            }
            else if (type == typeof(string) || type == typeof(string[]))
            {
                checks.Add((i, ParameterField(p), p.GetCustomAttribute<LongTextAttribute>() is not null, type));
            }
            else if (type.IsClass && type.Namespace?.StartsWith("OrleansSocial.Api", StringComparison.Ordinal) == true && services?.IsService(type) != true
                     && FieldsOf(type).Length > 0)
            {
                checks.Add((i, "", false, type)); // a JSON body
            }
        }

        if (checks.Count == 0 && !readsQuery)
        {
            return next;
        }

        return invocation =>
        {
            Dictionary<string, string[]>? errors = null;
            void Check(string field, string? value, bool longText)
            {
                if (value is not null && ClientText.Problem(value, longText) is { } problem && !(errors ??= new(StringComparer.Ordinal)).ContainsKey(field))
                {
                    errors[field] = [problem];
                }
            }

            // A string, or each string of a list.
            void CheckValue(string field, object? value, bool longText)
            {
                if (value is string text)
                {
                    Check(field, text, longText);
                }
                else if (value is string[] texts)
                {
                    foreach (var each in texts)
                    {
                        Check(field, each, longText);
                    }
                }
            }

            foreach (var (index, field, longText, type) in checks)
            {
                var argument = invocation.Arguments[index];
                if (argument is string or string[])
                {
                    CheckValue(field, argument, longText);
                }
                else if (argument is not null && type.IsInstanceOfType(argument))
                {
                    foreach (var (property, name, isLong) in FieldsOf(type))
                    {
                        CheckValue(name, property.GetValue(argument), isLong);
                    }
                }
            }

            foreach (var (key, values) in invocation.HttpContext.Request.Query)
            {
                Check(key, key, longText: false);
                foreach (var value in values)
                {
                    Check(key, value, longText: false);
                }
            }

            return errors is null ? next(invocation) : ValueTask.FromResult<object?>(TypedResults.ValidationProblem(errors, title: "Some text in the request is not accepted."));
        };
    }

    // The name the client used: [FromQuery(Name)], [FromHeader(Name)], [FromRoute(Name)], or the parameter's own.
    private static string ParameterField(ParameterInfo p) =>
        p.GetCustomAttribute<FromQueryAttribute>()?.Name ?? p.GetCustomAttribute<FromHeaderAttribute>()?.Name
        ?? p.GetCustomAttribute<FromRouteAttribute>()?.Name ?? p.Name ?? "";

    private static (PropertyInfo Property, string Field, bool LongText)[] FieldsOf(Type type) => BodyFields.GetOrAdd(type, t =>
    [
        .. t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) || p.PropertyType == typeof(string[]))
            .Select(p => (p, JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), p.GetCustomAttribute<LongTextAttribute>() is not null)),
    ]);
}
