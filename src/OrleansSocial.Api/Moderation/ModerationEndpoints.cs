using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Email;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Moderation;

namespace OrleansSocial.Api.Moderation;

/// <summary>
/// Body of <c>POST /api/v1/reports</c>: the account, optionally its posts, comments, a story or messages of a conversation
/// you are in; a category and comment; <c>block</c>/<c>mute</c> the account in the same call. <c>forward</c> (to another
/// server) is accepted and ignored: there is no federation yet.
/// </summary>
public sealed record ReportRequest(string? AccountId, string[]? PostIds, string[]? CommentIds, string? StoryId, string? ConversationId, string[]? MessageIds,
    string? Category, [property: LongText] string? Comment, bool? Forward, bool? Block, bool? Mute);

/// <summary>What you learn of your report: its id, and <c>merged</c> when it joined your open report on the same account.</summary>
public sealed record ReportReceiptResponse(string Id, string Status, bool Merged, DateTimeOffset CreatedAt);

public sealed record ReportSummaryResponse(string Id, PublicAccountResponse? Reporter, PublicAccountResponse? Account, string Category, string Comment, string Status,
    string? AssigneeId, int ItemsCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ReportSummaryResponse From(ReportSummary r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Id.ToString(CultureInfo.InvariantCulture), r.Reporter is null ? null : PublicAccountResponse.From(r.Reporter),
            r.Target is null ? null : PublicAccountResponse.From(r.Target), r.Category, r.Comment, r.Status, r.AssigneeId?.ToString(CultureInfo.InvariantCulture),
            r.Items, r.CreatedAt, r.UpdatedAt);
    }
}

/// <summary>Content as moderators see it (a message's id is <c>conversation:number</c>).</summary>
public sealed record ReportedContentResponse(string Kind, string Id, string AuthorId, string? Text, DateTimeOffset CreatedAt, bool Deleted)
{
    public static ReportedContentResponse From(ReportedContent c) =>
        new(c.Kind, c.Id, c.AuthorId.ToString(CultureInfo.InvariantCulture), c.Text, c.CreatedAt, c.Deleted);
}

public sealed record ReportNoteResponse(string Id, string? AuthorId, string? AuthorUsername, string Text, DateTimeOffset CreatedAt);

public sealed record AuditEntryResponse(string Id, string ActorId, string ActorUsername, string Action, string TargetType, string TargetId, string Reason,
    DateTimeOffset CreatedAt)
{
    public static AuditEntryResponse From(AuditEntry e) => new(e.Id.ToString(CultureInfo.InvariantCulture), e.ActorId.ToString(CultureInfo.InvariantCulture),
        e.ActorName, e.Action, e.TargetType, e.TargetId, e.Reason, e.CreatedAt);
}

/// <summary>A report in full: the reported content, the account's recent posts, earlier reports against it, actions on it, notes.</summary>
public sealed record ReportDetailResponse(ReportSummaryResponse Report, ReportedContentResponse[] Reported, ReportedContentResponse[] RecentPosts,
    ReportSummaryResponse[] PriorReports, AuditEntryResponse[] PriorActions, ReportNoteResponse[] Notes, string? Resolution, DateTimeOffset? ClosedAt)
{
    public static ReportDetailResponse From(ReportDetail d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new(ReportSummaryResponse.From(d.Report), [.. d.Reported.Select(ReportedContentResponse.From)], [.. d.RecentPosts.Select(ReportedContentResponse.From)],
            [.. d.PriorReports.Select(ReportSummaryResponse.From)], [.. d.PriorActions.Select(AuditEntryResponse.From)],
            [.. d.Notes.Select(n => new ReportNoteResponse(n.Id.ToString(CultureInfo.InvariantCulture), n.AuthorId?.ToString(CultureInfo.InvariantCulture), n.AuthorName,
                n.Text, n.CreatedAt))], d.Resolution, d.ClosedAt);
    }
}

/// <summary>Body of <c>PUT /api/v1/admin/accounts/{id}/role</c>.</summary>
public sealed record RoleRequest(string? Role, [property: LongText] string? Reason);

/// <summary>An account as the admin console shows it.</summary>
public sealed record AdminAccountResponse(string Id, string Username, string Email, bool EmailVerified, string Role, DateTimeOffset CreatedAt, bool Suspended,
    bool Limited, bool PasswordResetRequired, DateTimeOffset? LastActiveAt, string? LastIp)
{
    public static AdminAccountResponse From(AdminAccount a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new(a.Id.ToString(CultureInfo.InvariantCulture), a.Username, a.Email, a.EmailVerified, a.Role, a.CreatedAt, a.Suspended, a.Limited,
            a.PasswordResetRequired, a.LastActiveAt, a.LastIp);
    }
}

/// <summary>Body of <c>POST /api/v1/moderation/actions</c>.</summary>
public sealed record ModerationActionRequest(string? Kind, string? AccountId, string? PostId, string? CommentId, string? StoryId, string? ReportId,
    [property: LongText] string? Reason);

/// <summary>A moderation action; <c>moderator_id</c> is shown to moderators only.</summary>
public sealed record ModerationActionResponse(string Id, string Kind, string AccountId, string? PostId, string? CommentId, string? StoryId, string? ReportId,
    string Reason, DateTimeOffset CreatedAt, string? ModeratorId)
{
    public static ModerationActionResponse From(ModerationAction a, bool forModerators)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new(a.Id.ToString(CultureInfo.InvariantCulture), a.Kind, a.AccountId.ToString(CultureInfo.InvariantCulture), a.PostId?.ToString(),
            a.CommentId?.ToString(CultureInfo.InvariantCulture), a.StoryId?.ToString(), a.ReportId?.ToString(CultureInfo.InvariantCulture), a.Reason, a.CreatedAt,
            forModerators ? a.ModeratorId?.ToString(CultureInfo.InvariantCulture) : null);
    }
}

/// <summary>Body of an appeal: why the action was wrong.</summary>
public sealed record AppealRequest([property: LongText] string? Text);

/// <summary>An appeal of a moderation action; <c>status</c> open, granted or denied, with the admin's <c>decision</c>.</summary>
public sealed record AppealResponse(string Id, ModerationActionResponse Action, string Text, string Status, string? Decision, DateTimeOffset CreatedAt,
    DateTimeOffset? DecidedAt)
{
    public static AppealResponse From(Appeal a, bool forAdmins)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new(a.Id.ToString(CultureInfo.InvariantCulture), ModerationActionResponse.From(a.Action, forAdmins), a.Text, a.Status, a.Decision, a.CreatedAt, a.DecidedAt);
    }
}

/// <summary>One day of the instance's statistics (UTC): accounts (all at the end of the day, new, active), posts, messages, reports.</summary>
public sealed record InstanceDayResponse(string Day, long Accounts, long NewAccounts, long ActiveAccounts, long Posts, long Messages, long ReportsOpened,
    long ReportsClosed);

/// <summary>Body of <c>POST /api/v1/admin/signup_blocks</c>: <c>kind</c> domain (its subdomains too) or email, the value, why.</summary>
public sealed record SignupBlockRequest(string? Kind, string? Value, [property: LongText] string? Reason);

public sealed record SignupBlockResponse(string Id, string Kind, string Value, string Reason, DateTimeOffset CreatedAt)
{
    public static SignupBlockResponse From(SignupBlock b) => new(b.Id.ToString(CultureInfo.InvariantCulture), b.Kind, b.Value, b.Reason, b.CreatedAt);
}

public sealed record KeywordFilterRequest(string? Keyword, [property: LongText] string? Reason);

public sealed record KeywordFilterResponse(string Id, string Keyword, string Reason, DateTimeOffset CreatedAt)
{
    public static KeywordFilterResponse From(KeywordFilter f) => new(f.Id.ToString(CultureInfo.InvariantCulture), f.Keyword, f.Reason, f.CreatedAt);
}

/// <summary>A post a keyword filter holds, as the moderation queue lists it.</summary>
public sealed record HeldPostResponse(string PostId, string AuthorId, string AuthorUsername, string Text, string Keyword, string Visibility, DateTimeOffset CreatedAt)
{
    public static HeldPostResponse From(HeldPost p) => new(p.PostId.ToString(), p.AuthorId.ToString(CultureInfo.InvariantCulture), p.AuthorUsername, p.Text, p.Keyword,
        p.Visibility, p.CreatedAt);
}

/// <summary>How many sessions an admin's sign-out ended.</summary>
public sealed record SignedOutResponse(int SessionsEnded);

/// <summary>Body of a moderator's note.</summary>
public sealed record ReportNoteRequest([property: LongText] string? Text);

/// <summary>Body of resolving or rejecting a report: why.</summary>
public sealed record ReportCloseRequest([property: LongText] string? Reason);

/// <summary>
/// Reports (anyone signed in) and the moderation queue (moderators and admins; the audit log admins only). For anyone
/// else the moderation routes answer 404, as routes that do not exist — the grains decide, from the caller's role as it
/// is now.
/// </summary>
public static class ModerationEndpoints
{
    public static RouteGroupBuilder MapModerationEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/reports", FileAsync).RequireAuthorization().WithTags("Moderation").WithName("Report")
            .WithSummary("Reports an account (and optionally its posts, comments, a story, or messages of a conversation you are in) to the moderators; block or mute it in the same call. A second report on the same account while the first is open joins it.")
            .Produces<ReportReceiptResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        var queue = api.MapGroup("/moderation/reports").WithTags("Moderation").RequireAuthorization();
        queue.MapGet("/", (string? category, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => Desk(grains).ListOpenAsync(user.AccountId(), category, page), r => r.Id, ReportSummaryResponse.From))
            .WithName("ModerationQueue").WithSummary("Open reports, newest first (cursor pagination), optionally of one category. Moderators only.")
            .Produces<ReportSummaryResponse[]>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        queue.MapGet("/{id:long}", (long id, ClaimsPrincipal user, IGrainFactory grains) => Detail(() => grains.GetGrain<IReportGrain>(id).GetAsync(user.AccountId())))
            .WithName("ModerationReport").WithSummary("A report in full, with the account's recent posts and its history. Moderators only.")
            .Produces<ReportDetailResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        queue.MapPost("/{id:long}/assign", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                Detail(() => grains.GetGrain<IReportGrain>(id).AssignToSelfAsync(user.AccountId())))
            .WithName("AssignReport").WithSummary("Takes the open report: it is assigned to you.")
            .Produces<ReportDetailResponse>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        queue.MapPost("/{id:long}/notes", (long id, ReportNoteRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                Detail(() => grains.GetGrain<IReportGrain>(id).AddNoteAsync(user.AccountId(), body.Text ?? ""), "text"))
            .WithName("AddReportNote").WithSummary("Adds a note for the other moderators.")
            .Produces<ReportDetailResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        queue.MapPost("/{id:long}/resolve", (long id, ReportCloseRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                Detail(() => grains.GetGrain<IReportGrain>(id).CloseAsync(user.AccountId(), resolved: true, body.Reason ?? ""), "reason"))
            .WithName("ResolveReport").WithSummary("Closes the report as acted on; the reporter is told.")
            .Produces<ReportDetailResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        queue.MapPost("/{id:long}/reject", (long id, ReportCloseRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                Detail(() => grains.GetGrain<IReportGrain>(id).CloseAsync(user.AccountId(), resolved: false, body.Reason ?? ""), "reason"))
            .WithName("RejectReport").WithSummary("Closes the report with no action; the reporter is told.")
            .Produces<ReportDetailResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/admin/audit_log", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => Desk(grains).GetAuditLogAsync(user.AccountId(), page), e => e.Id, AuditEntryResponse.From))
            .RequireAuthorization().WithTags("Moderation").WithName("AuditLog")
            .WithSummary("Every moderator and admin action, newest first: who, what, on what, why, when. Admins only; it cannot be changed.")
            .Produces<AuditEntryResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/moderation/actions", ActAsync).RequireAuthorization().WithTags("Moderation").WithName("TakeModerationAction")
            .WithSummary("Acts on an account: warn, or remove one of its posts, comments or stories (gone from every read path at once, kept for appeal and audit); the account is told. Moderators only.")
            .Produces<ModerationActionResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/accounts/me/moderation_actions", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => Desk(grains).GetActionsAgainstAsync(user.AccountId(), page), a => a.Id, a => ModerationActionResponse.From(a, false)))
            .RequireAuthorization().WithTags("Moderation").WithName("MyModerationActions")
            .WithSummary("The moderation actions taken against your account and content, newest first (who took them is not said).")
            .Produces<ModerationActionResponse[]>();
        api.MapPost("/accounts/me/moderation_actions/{id:long}/appeal", (long id, AppealRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => Desk(grains).AppealAsync(user.AccountId(), id, body.Text ?? ""),
                    a => TypedResults.Created($"/api/v1/accounts/me/moderation_actions/{id}/appeal", AppealResponse.From(a, false)), "text"))
            .RequireAuthorization().WithTags("Moderation").WithName("Appeal")
            .WithSummary("Appeals an action taken against your account — once per action; an admin decides and you are told.")
            .Produces<AppealResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/admin/appeals", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => Desk(grains).ListOpenAppealsAsync(user.AccountId(), page), a => a.Id, a => AppealResponse.From(a, true)))
            .RequireAuthorization().WithTags("Moderation").WithName("Appeals").WithSummary("Open appeals, newest first. Admins only.")
            .Produces<AppealResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        foreach (var (verb, grant) in new[] { ("grant", true), ("deny", false) })
        {
            api.MapPost($"/admin/appeals/{{id:long}}/{verb}", (long id, ReportCloseRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                    GrainResults.RunAsync(() => Desk(grains).DecideAppealAsync(user.AccountId(), id, grant, body.Reason ?? ""), a => TypedResults.Ok(AppealResponse.From(a, true)),
                        "reason"))
                .RequireAuthorization().WithTags("Moderation").WithName(grant ? "GrantAppeal" : "DenyAppeal")
                .WithSummary(grant ? "Grants the appeal: the action is reversed (removed posts and comments come back); the account is told. Admins only."
                    : "Denies the appeal: the action stands; the account is told. Admins only.")
                .Produces<AppealResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        }

        api.MapGet("/admin/stats", StatsAsync).RequireAuthorization().WithTags("Moderation").WithName("InstanceStats")
            .WithSummary("Per day (UTC) from from to to (yyyy-mm-dd, at most 366 days; default the last 30): accounts, new and active accounts, posts, messages, reports opened and closed. Admins only.")
            .Produces<InstanceDayResponse[]>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        var blocks = api.MapGroup("/admin/signup_blocks").WithTags("Moderation").RequireAuthorization();
        blocks.MapGet("/", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => Desk(grains).GetSignupBlocksAsync(user.AccountId(), page), b => b.Id, SignupBlockResponse.From))
            .WithName("SignupBlocks").WithSummary("Email domains and addresses that may not sign up, newest first. Admins only.")
            .Produces<SignupBlockResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        blocks.MapPost("/", (SignupBlockRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => Desk(grains).AddSignupBlockAsync(user.AccountId(), body.Kind ?? "", body.Value ?? "", body.Reason ?? ""),
                    b => TypedResults.Created($"/api/v1/admin/signup_blocks/{b.Id}", SignupBlockResponse.From(b)), "value"))
            .WithName("AddSignupBlock").WithSummary("Refuses sign-ups from an email domain (and its subdomains) or one address; audited. Admins only.")
            .Produces<SignupBlockResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        blocks.MapDelete("/{id:long}", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await Desk(grains).RemoveSignupBlockAsync(user.AccountId(), id).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .WithName("RemoveSignupBlock").WithSummary("Lifts a sign-up block; audited. Admins only.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        var filters = api.MapGroup("/admin/keyword_filters").WithTags("Moderation").RequireAuthorization();
        filters.MapGet("/", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => Desk(grains).GetKeywordFiltersAsync(user.AccountId(), page), f => f.Id, KeywordFilterResponse.From))
            .WithName("KeywordFilters").WithSummary("Words and phrases that hold new posts for review, newest first. Admins only.")
            .Produces<KeywordFilterResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        filters.MapPost("/", (KeywordFilterRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => Desk(grains).AddKeywordFilterAsync(user.AccountId(), body.Keyword ?? "", body.Reason ?? ""),
                    f => TypedResults.Created($"/api/v1/admin/keyword_filters/{f.Id}", KeywordFilterResponse.From(f)), "keyword"))
            .WithName("AddKeywordFilter")
            .WithSummary("Holds new posts containing the word or phrase (whole words, any case) for a moderator's review; audited. Admins only.")
            .Produces<KeywordFilterResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        filters.MapDelete("/{id:long}", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await Desk(grains).RemoveKeywordFilterAsync(user.AccountId(), id).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .WithName("RemoveKeywordFilter").WithSummary("Removes a keyword filter (posts it holds stay held until decided); audited. Admins only.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        var held = api.MapGroup("/moderation/held_posts").WithTags("Moderation").RequireAuthorization();
        held.MapGet("/", (int? limit, DateTimeOffset? after, ClaimsPrincipal user, IGrainFactory grains) =>
                limit is < 1 or > PageRequest.MaxLimit
                    ? Task.FromResult<IResult>(TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit is 1 to {PageRequest.MaxLimit}."] }))
                    : GrainResults.RunAsync(() => Desk(grains).ListHeldPostsAsync(user.AccountId(), limit ?? PageRequest.DefaultLimit, after),
                        posts => TypedResults.Ok(posts.Select(HeldPostResponse.From).ToArray())))
            .WithName("HeldPosts")
            .WithSummary("Posts keyword filters hold for review, oldest first; after (the created_at of the last one seen) pages on. Moderators and admins.")
            .Produces<HeldPostResponse[]>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        held.MapPost("/{id:guid}/approve", (Guid id, ReportCloseRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await Desk(grains).ApproveHeldPostAsync(user.AccountId(), id, body.Reason ?? "").ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent(), "reason"))
            .WithName("ApproveHeldPost")
            .WithSummary("Approves a held post: it takes the visibility it was posted with and reaches timelines; audited. To refuse it, remove it (a remove_post action). Moderators and admins.")
            .Produces(StatusCodes.Status204NoContent).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/admin/accounts/{id:long}/sign_out", (long id, ReportCloseRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => Desk(grains).SignOutEverywhereAsync(user.AccountId(), id, body.Reason ?? ""),
                    n => TypedResults.Ok(new SignedOutResponse(n)), "reason"))
            .RequireAuthorization().WithTags("Moderation").WithName("SignOutEverywhere")
            .WithSummary("Signs the account out everywhere: every session ends, its tokens are refused within seconds; audited. Admins only.")
            .Produces<SignedOutResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/admin/accounts", (string? username, string? email, string? ip, string? role, string? status, ClaimsPrincipal user, IGrainFactory grains,
                HttpContext http) => PageRequest.ServeAsync(http,
                page => Desk(grains).SearchAccountsAsync(user.AccountId(), new AccountFilter(username, email, ip, role, status), page), a => a.Id, AdminAccountResponse.From))
            .RequireAuthorization().WithTags("Moderation").WithName("AdminAccounts")
            .WithSummary("Accounts matching every given filter — username (prefix), email (contains), ip (prefix of an address a session signed in from), role, status (active, suspended, limited, unverified, reset_required) — newest first. Admins only.")
            .Produces<AdminAccountResponse[]>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/admin/accounts/{id:long}/reset_password", async (long id, ReportCloseRequest body, ClaimsPrincipal user, IGrainFactory grains,
                EmailTokenStore emailTokens, AccountMail mail, EmailQueue outgoing, CancellationToken ct) =>
                await GrainResults.RunAsync(async () =>
                {
                    var account = await Desk(grains).ForcePasswordResetAsync(user.AccountId(), id, body.Reason ?? "").ConfigureAwait(false);
                    var token = await emailTokens.IssueAsync(account.Id, account.Email, EmailTokenPurpose.ResetPassword, ct).ConfigureAwait(false);
                    outgoing.Enqueue(mail.PasswordReset(account.Email, account.Username, token));
                    return account;
                }, a => TypedResults.Ok(AdminAccountResponse.From(a)), "reason").ConfigureAwait(false))
            .RequireAuthorization().WithTags("Moderation").WithName("ForcePasswordReset")
            .WithSummary("Forces a password reset: the password stops signing in, every session ends, and a reset link goes to the account's address; audited. Admins only; not your own.")
            .Produces<AdminAccountResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/admin/accounts/{id:long}/role", (long id, RoleRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => Desk(grains).SetRoleAsync(user.AccountId(), id, body.Role ?? "", body.Reason ?? ""),
                    p => TypedResults.Ok(AdminAccountResponse.From(p)),
                    "role"))
            .RequireAuthorization().WithTags("Moderation").WithName("SetRole")
            .WithSummary("Gives an account a role (user, moderator, admin), recorded in the audit log; it counts at once. Admins only; not your own.")
            .Produces<AdminAccountResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static IReportDeskGrain Desk(IGrainFactory grains) => grains.GetGrain<IReportDeskGrain>(0);

    private static async Task<IResult> StatsAsync(string? from, string? to, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        DateOnly? Day(string? raw) => raw is null ? null : DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        var (start, end) = (Day(from), Day(to));
        if ((from is not null && start is null) || (to is not null && end is null))
        {
            // Refused as a route that does not exist unless the caller is an admin.
            if ((await grains.GetGrain<OrleansSocial.Users.IUserGrain>(user.AccountId()).GetProfileAsync().ConfigureAwait(false))?.Role != Roles.Admin)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.");
            }

            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [start is null && from is not null ? "from" : "to"] = ["A day is yyyy-mm-dd."] });
        }

        var last = end ?? today;
        return await GrainResults.RunAsync(() => Desk(grains).GetStatsAsync(user.AccountId(), start ?? last.AddDays(-29), last),
            days => TypedResults.Ok(days.Select(d => new InstanceDayResponse(d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Accounts, d.NewAccounts,
                d.ActiveAccounts, d.Posts, d.Messages, d.ReportsOpened, d.ReportsClosed)).ToArray()), "from").ConfigureAwait(false);
    }

    private static async Task<IResult> ActAsync(ModerationActionRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        static T? Parse<T>(string? raw, string field, Dictionary<string, string[]> errors, Func<string, (bool, T)> parse) where T : struct
        {
            if (raw is null)
            {
                return null;
            }

            var (ok, value) = parse(raw);
            if (!ok)
            {
                errors[field] = [$"{field} is an id."];
            }

            return ok ? value : null;
        }

        (bool, long) Long(string s) => (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v), v);
        (bool, Guid) Uuid(string s) => (Guid.TryParse(s, out var v), v);
        var account = Parse<long>(body.AccountId, "account_id", errors, Long);
        if (account is null && !errors.ContainsKey("account_id"))
        {
            errors["account_id"] = ["account_id is the account acted on."];
        }

        var action = new NewModerationAction(user.AccountId(), body.Kind ?? "", account ?? 0, Parse<Guid>(body.PostId, "post_id", errors, Uuid),
            Parse<long>(body.CommentId, "comment_id", errors, Long), Parse<Guid>(body.StoryId, "story_id", errors, Uuid), Parse<long>(body.ReportId, "report_id", errors, Long),
            body.Reason ?? "");
        if (errors.Count > 0)
        {
            // The route does not exist for anyone but moderators, whatever they send.
            return Roles.Moderates((await grains.GetGrain<OrleansSocial.Users.IUserGrain>(user.AccountId()).GetProfileAsync().ConfigureAwait(false))?.Role)
                ? TypedResults.ValidationProblem(errors, title: "No action was taken.")
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.");
        }

        return await GrainResults.RunAsync(() => Desk(grains).TakeActionAsync(action),
            a => TypedResults.Created($"/api/v1/moderation/actions/{a.Id}", ModerationActionResponse.From(a, true)), "kind").ConfigureAwait(false);
    }

    private static Task<IResult> Detail(Func<Task<ReportDetail>> call, string field = "id") =>
        GrainResults.RunAsync(call, d => TypedResults.Ok(ReportDetailResponse.From(d)), field);

    private static async Task<IResult> FileAsync(ReportRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!long.TryParse(body.AccountId, NumberStyles.None, CultureInfo.InvariantCulture, out var target))
        {
            errors["account_id"] = ["account_id is the id of the account you report."];
        }

        var posts = new List<Guid>();
        foreach (var raw in body.PostIds ?? [])
        {
            if (!Guid.TryParse(raw, out var post))
            {
                errors["post_ids"] = ["post_ids are post ids."];
                break;
            }

            posts.Add(post);
        }

        if (!AccountIds.TryParse(body.CommentIds, out var comments, out _))
        {
            errors["comment_ids"] = ["comment_ids are comment ids."];
        }

        Guid? story = null;
        if (body.StoryId is not null)
        {
            if (Guid.TryParse(body.StoryId, out var s))
            {
                story = s;
            }
            else
            {
                errors["story_id"] = ["story_id is a story id."];
            }
        }

        Guid? conversation = null;
        if (body.ConversationId is not null)
        {
            if (Guid.TryParse(body.ConversationId, out var c))
            {
                conversation = c;
            }
            else
            {
                errors["conversation_id"] = ["conversation_id is a conversation id."];
            }
        }

        if (!AccountIds.TryParse(body.MessageIds, out var messages, out _))
        {
            errors["message_ids"] = ["message_ids are message ids of the conversation."];
        }

        if (body.Category is null)
        {
            errors["category"] = [$"category is one of {string.Join(", ", ReportCategories.All)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The report was not filed.");
        }

        return await GrainResults.RunAsync(() => Desk(grains).FileAsync(new NewReport(user.AccountId(), target, body.Category!, (body.Comment ?? "").Trim(),
                posts, comments, story, conversation, messages, body.Block == true, body.Mute == true)),
            r => TypedResults.Created($"/api/v1/reports/{r.Id}", new ReportReceiptResponse(r.Id.ToString(CultureInfo.InvariantCulture), r.Status, r.Merged, r.CreatedAt)),
            "account_id").ConfigureAwait(false);
    }
}
