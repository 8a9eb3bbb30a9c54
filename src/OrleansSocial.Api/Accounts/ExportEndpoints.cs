using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Api.Accounts;

/// <summary>A data export as its owner sees it; <c>download_url</c> while it can be downloaded.</summary>
public sealed record ExportResponse(string Id, string Status, DateTimeOffset RequestedAt, DateTimeOffset? FinishedAt, DateTimeOffset? ExpiresAt, long? Size,
    string? DownloadUrl)
{
    public static ExportResponse From(DataExport e, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        var downloadable = e.Status == ExportStatuses.Ready && e.ExpiresAt > now;
        var status = e.Status == ExportStatuses.Ready && !downloadable ? ExportStatuses.Expired : e.Status; // past its time, not yet swept
        return new(e.Id.ToString(), status, e.RequestedAt, e.FinishedAt, e.ExpiresAt, e.Size, downloadable ? $"/api/v1/accounts/me/exports/{e.Id}/download" : null);
    }
}

/// <summary>Taking one's data along: an archive of everything the account holds, built in the background.</summary>
public static class ExportEndpoints
{
    public static RouteGroupBuilder MapExportEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var exports = api.MapGroup("/accounts/me").WithTags("Accounts").RequireAuthorization();
        exports.MapPost("/export", RequestAsync).WithName("RequestExport")
            .WithSummary("Starts building an archive of my data (a zip: JSON per collection, my media, a README). One at a time, one per 24 hours.");
        exports.MapGet("/exports", async (ClaimsPrincipal user, IGrainFactory grains, TimeProvider time) =>
                TypedResults.Ok((await grains.GetGrain<IDataExportGrain>(user.AccountId()).ListAsync().ConfigureAwait(false))
                    .Select(e => ExportResponse.From(e, time.GetUtcNow())).ToArray()))
            .WithName("Exports").WithSummary("My data exports, newest first, with their download links while they last (7 days).");
        exports.MapGet("/exports/{id}/download", DownloadAsync).WithName("DownloadExport")
            .WithSummary("Downloads a finished archive of mine (for 7 days after it was built).");
        return api;
    }

    private static async Task<Results<Accepted<ExportResponse>, ProblemHttpResult>> RequestAsync(ClaimsPrincipal user, IGrainFactory grains, TimeProvider time,
        HttpContext http)
    {
        var result = await grains.GetGrain<IDataExportGrain>(user.AccountId()).RequestAsync().ConfigureAwait(false);
        if (result.Export is { } export)
        {
            return TypedResults.Accepted($"/api/v1/accounts/me/exports", ExportResponse.From(export, time.GetUtcNow()));
        }

        if (result.Building is { } building)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "An export is being built already.",
                extensions: new Dictionary<string, object?> { ["export_id"] = building.Id.ToString() });
        }

        var wait = (int)Math.Ceiling(Math.Max(1, (result.NextAllowedAt!.Value - time.GetUtcNow()).TotalSeconds));
        http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "One export a day: the next can be asked for later.",
            extensions: new Dictionary<string, object?> { ["next_allowed_at"] = result.NextAllowedAt, ["retry_after"] = wait });
    }

    private static async Task<Results<FileStreamHttpResult, NotFound>> DownloadAsync(string id, ClaimsPrincipal user, IGrainFactory grains,
        OrleansSocial.Media.IMediaStore media, TimeProvider time, CancellationToken ct)
    {
        // Only the owner's own exports are found: another account's id is no export at all.
        if (!Guid.TryParse(id, out var exportId)
            || (await grains.GetGrain<IDataExportGrain>(user.AccountId()).ListAsync().ConfigureAwait(false)).FirstOrDefault(e => e.Id == exportId) is not
                { Status: ExportStatuses.Ready, BlobKey: { } key } export
            || export.ExpiresAt <= time.GetUtcNow()
            || await media.OpenReadAsync(key, ct).ConfigureAwait(false) is not { } stream)
        {
            return TypedResults.NotFound();
        }

        var name = $"orleanssocial-{user.FindFirstValue("name") ?? "account"}-{export.FinishedAt ?? export.RequestedAt:yyyy-MM-dd}.zip";
        return TypedResults.Stream(stream, "application/zip", name);
    }
}
