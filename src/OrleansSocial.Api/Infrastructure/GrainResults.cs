using Microsoft.AspNetCore.Http;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// Turns the exceptions grains use for refusals into problem documents: no such object (404), a rule forbids it (403),
/// a bad argument (400 naming the field), past a limit (429 with Retry-After). Anything else is a real failure and goes to the exception handler.
/// </summary>
public static class GrainResults
{
    // ArgumentException appends " (Parameter 'x')" to its message; the problem names the field separately.
    private static string StripParameter(ArgumentException e) =>
        e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;

    /// <summary>
    /// Runs a grain call and maps what it throws to problems: 404, 403, 422 for refused media (naming
    /// <paramref name="mediaField"/>), 400 for a refused argument (naming its parameter, else <paramref name="field"/>).
    /// </summary>
    public static async Task<IResult> RunAsync<T>(Func<Task<T>> call, Func<T, IResult> ok, string field = "id", string mediaField = "media_ids")
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(ok);
        try
        {
            return ok(await call().ConfigureAwait(false));
        }
        catch (KeyNotFoundException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: e.Message);
        }
        catch (Exception e) when (e is RelationshipRefusedException or ListHiddenException or OrleansSocial.Posts.ActionRefusedException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: e.Message);
        }
        catch (OrleansSocial.Media.MediaRefusedException e)
        {
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [mediaField] = [e.Message] })
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "The media cannot be used here.",
            });
        }
        catch (ArgumentException e) when (e is not ArgumentNullException) // a null argument is our bug, not the caller's: a 500
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.ParamName ?? field] = [StripParameter(e)] });
        }
        catch (LimitExceededException e)
        {
            return new TooManyRequests(e);
        }
    }

    // 429 with Retry-After (whole seconds, at least one): when the account may try again.
    private sealed class TooManyRequests(LimitExceededException limit) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limit.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: limit.Message).ExecuteAsync(httpContext);
        }
    }
}
