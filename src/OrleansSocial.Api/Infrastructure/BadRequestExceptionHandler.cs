using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// Turns request errors found while binding (malformed JSON, unknown or mistyped fields, a wrong content type, an
/// oversized body) into 4xx problem documents that say what is wrong, instead of a 500 or an empty 400.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var json = bad.InnerException as JsonException ?? exception.InnerException?.InnerException as JsonException;
        var problem = new ProblemDetails
        {
            Status = bad.StatusCode,
            Title = bad.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
                StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
                _ => "The request is malformed.",
            },
            Detail = json?.Message ?? bad.Message,
        };
        if (json?.Path is { Length: > 2 } path)
        {
            // "$.admin" → "admin": the field the client got wrong.
            problem.Extensions["field"] = path.TrimStart('$', '.');
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception })
            .ConfigureAwait(false);
    }
}
