using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace OrleansSocial.Api.Infrastructure;

/// <summary>
/// The cursor pagination of every list (the Mastodon convention): <c>limit</c> (default 20, at most 40),
/// <c>max_id</c> (older than), <c>since_id</c> (newer than, newest first), <c>min_id</c> (newer than, oldest first, for
/// catching up). Ids are opaque strings. Responses carry an RFC 8288 <c>Link</c> header with <c>next</c> (older) and
/// <c>prev</c> (newer) pages.
/// </summary>
public sealed record PageRequest(int Limit, string? MaxId, string? SinceId, string? MinId)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 40;
    private const int MaxIdLength = 64;

    /// <summary>Reads the page parameters of a request, or returns a validation problem naming each bad one.</summary>
    public static bool TryRead(HttpRequest request, out PageRequest page, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var limit = DefaultLimit;
        var rawLimit = request.Query["limit"];
        if (rawLimit.Count > 1)
        {
            errors["limit"] = ["Give limit once."];
        }
        else if (rawLimit.Count == 1
                 && (!int.TryParse(rawLimit[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {MaxLimit}."];
        }

        string? Id(string name)
        {
            var values = request.Query[name];
            if (values.Count == 0)
            {
                return null;
            }

            var value = values[0];
            if (values.Count > 1 || string.IsNullOrWhiteSpace(value) || value.Length > MaxIdLength || value.Any(char.IsControl))
            {
                errors[name] = [$"{name} must be one id of 1 to {MaxIdLength} characters."];
                return null;
            }

            return value;
        }

        var maxId = Id("max_id");
        var sinceId = Id("since_id");
        var minId = Id("min_id");
        if (sinceId is not null && minId is not null)
        {
            errors["min_id"] = ["Give since_id or min_id, not both."];
        }

        page = new PageRequest(limit, maxId, sinceId, minId);
        problem = errors.Count == 0 ? null : TypedResults.ValidationProblem(errors, title: "The page parameters are invalid.");
        return problem is null;
    }

    /// <summary>
    /// This page over a table whose cursors are row numbers (every list of ours today): ids that are not row numbers
    /// are validation problems naming the parameter.
    /// </summary>
    public bool TryGetQuery(out OrleansSocial.Users.PageQuery query, out IResult? problem)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        long? Cursor(string name, string? value)
        {
            if (value is null)
            {
                return null;
            }

            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return id;
            }

            errors[name] = [$"{name} is not an id from this list."];
            return null;
        }

        query = new OrleansSocial.Users.PageQuery(Limit, Cursor("max_id", MaxId), Cursor("since_id", SinceId), Cursor("min_id", MinId));
        problem = errors.Count == 0 ? null : TypedResults.ValidationProblem(errors, title: "The page parameters are invalid.");
        return problem is null;
    }

    /// <summary>
    /// Sets the <c>Link</c> header for a page whose items run from <paramref name="newestId"/> to <paramref name="oldestId"/>
    /// (nothing when the page is empty). Other query parameters of the request are kept.
    /// </summary>
    public void WriteLinkHeader(HttpContext context, string? newestId, string? oldestId)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (newestId is null || oldestId is null)
        {
            return;
        }

        var links = new StringBuilder();
        links.Append('<').Append(Url(context.Request, ("max_id", oldestId))).Append(">; rel=\"next\", ");
        links.Append('<').Append(Url(context.Request, ("min_id", newestId))).Append(">; rel=\"prev\"");
        context.Response.Headers.Link = links.ToString();
    }

    /// <summary>Sets the <c>Link</c> header from the cursors of a page's first (newest) and last (oldest) items.</summary>
    public void WriteLinkHeader<T>(HttpContext context, IReadOnlyList<T> items, Func<T, long> cursor)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(cursor);
        WriteLinkHeader(context, items.Count == 0 ? null : cursor(items[0]).ToString(CultureInfo.InvariantCulture),
            items.Count == 0 ? null : cursor(items[^1]).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Serves one page of a list whose cursors are row numbers: reads the page parameters (a problem naming the bad
    /// one), asks <paramref name="list"/> for the rows (grain refusals become problems), writes the <c>Link</c> header and
    /// the items mapped to their response shape.
    /// </summary>
    public static async Task<IResult> ServeAsync<T, TResponse>(HttpContext http, Func<OrleansSocial.Users.PageQuery, Task<IReadOnlyList<T>>> list,
        Func<T, long> cursor, Func<T, TResponse> map)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(list);
        if (!TryRead(http.Request, out var page, out var problem) || !page.TryGetQuery(out var query, out problem))
        {
            return problem!;
        }

        return await GrainResults.RunAsync(() => list(query), items =>
        {
            page.WriteLinkHeader(http, items, cursor);
            return ApiResults.Ok(items.Select(map).ToArray());
        }).ConfigureAwait(false);
    }

    private string Url(HttpRequest request, (string Name, string Value) cursor)
    {
        var query = new QueryBuilder();
        foreach (var (key, values) in request.Query)
        {
            if (key is "max_id" or "since_id" or "min_id" or "limit")
            {
                continue;
            }

            foreach (var value in values)
            {
                query.Add(key, value ?? "");
            }
        }

        query.Add("limit", Limit.ToString(CultureInfo.InvariantCulture));
        query.Add(cursor.Name, cursor.Value);
        return UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, query.ToQueryString());
    }
}
