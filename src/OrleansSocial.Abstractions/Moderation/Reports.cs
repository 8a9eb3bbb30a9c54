using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Users;

namespace OrleansSocial.Moderation;

/// <summary>What a report says is wrong.</summary>
public static class ReportCategories
{
    public const string Spam = "spam";
    public const string Harassment = "harassment";
    public const string Hate = "hate";
    public const string Violence = "violence";
    public const string SexualMinors = "sexual_minors";
    public const string SelfHarm = "self_harm";
    public const string Impersonation = "impersonation";
    public const string Other = "other";

    public static IReadOnlyList<string> All { get; } = [Spam, Harassment, Hate, Violence, SexualMinors, SelfHarm, Impersonation, Other];

    public static bool IsKnown(string? category) => category is not null && All.Contains(category);
}

/// <summary>Where a report stands.</summary>
public static class ReportStatuses
{
    public const string Open = "open";
    public const string Resolved = "resolved";
    public const string Rejected = "rejected";
}

/// <summary>Account roles, and which may moderate.</summary>
public static class Roles
{
    public const string User = "user";
    public const string Moderator = "moderator";
    public const string Admin = "admin";

    /// <summary>Moderators and admins work the moderation queue.</summary>
    public static bool Moderates(string? role) => role is Moderator or Admin;

    public static bool IsKnown(string? role) => role is User or Moderator or Admin;
}

/// <summary>
/// A report to file: the account, and optionally content of it the reporter can see — posts, comments, a story, messages
/// of one conversation the reporter is in — with a category and comment; <see cref="Block"/> and <see cref="Mute"/> do
/// that to the account in the same call.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.NewReport")]
public sealed record NewReport(
    [property: Id(0)] long ReporterId, [property: Id(1)] long TargetId, [property: Id(2)] string Category, [property: Id(3)] string Comment,
    [property: Id(4)] IReadOnlyList<Guid> PostIds, [property: Id(5)] IReadOnlyList<long> CommentIds, [property: Id(6)] Guid? StoryId,
    [property: Id(7)] Guid? ConversationId, [property: Id(8)] IReadOnlyList<long> MessageIds, [property: Id(9)] bool Block, [property: Id(10)] bool Mute);

/// <summary>What the reporter learns of a filed report: its id, and whether it joined their open report on the account.</summary>
[GenerateSerializer, Immutable, Alias("social.ReportReceipt")]
public sealed record ReportReceipt([property: Id(0)] long Id, [property: Id(1)] string Status, [property: Id(2)] bool Merged, [property: Id(3)] DateTimeOffset CreatedAt);

/// <summary>A report in the moderation queue.</summary>
[GenerateSerializer, Immutable, Alias("social.ReportSummary")]
public sealed record ReportSummary(
    [property: Id(0)] long Id, [property: Id(1)] PublicAccount? Reporter, [property: Id(2)] PublicAccount? Target, [property: Id(3)] string Category,
    [property: Id(4)] string Comment, [property: Id(5)] string Status, [property: Id(6)] long? AssigneeId, [property: Id(7)] int Items,
    [property: Id(8)] DateTimeOffset CreatedAt, [property: Id(9)] DateTimeOffset UpdatedAt)
{
    [Id(10)]
    public long ReporterId { get; init; }

    [Id(11)]
    public long TargetId { get; init; }
}

/// <summary>Reported (or recent) content as moderators see it, whoever it was for: what it said, even if deleted since.</summary>
[GenerateSerializer, Immutable, Alias("social.ReportedContent")]
public sealed record ReportedContent([property: Id(0)] string Kind, [property: Id(1)] string Id, [property: Id(2)] long AuthorId, [property: Id(3)] string? Text,
    [property: Id(4)] DateTimeOffset CreatedAt, [property: Id(5)] bool Deleted);

/// <summary>A moderator's note on a report.</summary>
[GenerateSerializer, Immutable, Alias("social.ReportNote")]
public sealed record ReportNote([property: Id(0)] long Id, [property: Id(1)] long? AuthorId, [property: Id(2)] string? AuthorName, [property: Id(3)] string Text,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>An entry of the audit log.</summary>
[GenerateSerializer, Immutable, Alias("social.AuditEntry")]
public sealed record AuditEntry([property: Id(0)] long Id, [property: Id(1)] long ActorId, [property: Id(2)] string ActorName, [property: Id(3)] string Action,
    [property: Id(4)] string TargetType, [property: Id(5)] string TargetId, [property: Id(6)] string Reason, [property: Id(7)] DateTimeOffset CreatedAt);

/// <summary>
/// A report in full for a moderator: the report, the reported content (messages included: reporting them shows them to
/// moderators), the target's recent posts, earlier reports against the target and the actions recorded on it, and notes.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.ReportDetail")]
public sealed record ReportDetail(
    [property: Id(0)] ReportSummary Report, [property: Id(1)] IReadOnlyList<ReportedContent> Reported, [property: Id(2)] IReadOnlyList<ReportedContent> RecentPosts,
    [property: Id(3)] IReadOnlyList<ReportSummary> PriorReports, [property: Id(4)] IReadOnlyList<AuditEntry> PriorActions, [property: Id(5)] IReadOnlyList<ReportNote> Notes,
    [property: Id(6)] string? Resolution, [property: Id(7)] DateTimeOffset? ClosedAt);

/// <summary>What a moderator does to an account or its content.</summary>
public static class ModerationActionKinds
{
    /// <summary>A warning: the account is told, nothing else changes.</summary>
    public const string Warn = "warn";

    /// <summary>A post removed from every read path (kept for appeal and audit).</summary>
    public const string RemovePost = "remove_post";

    public const string RemoveComment = "remove_comment";

    public const string RemoveStory = "remove_story";

    /// <summary>
    /// The account is suspended: it cannot sign in (its sessions end at once), it and everything it made are hidden, its
    /// follows frozen. Reversible: <see cref="Unsuspend"/> (or a granted appeal) brings it all back.
    /// </summary>
    public const string Suspend = "suspend";

    public const string Unsuspend = "unsuspend";

    /// <summary>A post's media marked sensitive (shown behind a warning).</summary>
    public const string MarkSensitive = "mark_sensitive";

    /// <summary>
    /// The account is limited (silenced): its posts and stories reach only its followers, not trends or search, and it
    /// leaves account search for non-followers. Reversible: <see cref="Unlimit"/> (or a granted appeal).
    /// </summary>
    public const string Limit = "limit";

    public const string Unlimit = "unlimit";

    public static IReadOnlyList<string> All { get; } = [Warn, RemovePost, RemoveComment, RemoveStory, Suspend, Unsuspend, MarkSensitive, Limit, Unlimit];
}

/// <summary>A moderation action to take: its kind, the account, the content (for removals), the report it answers, why.</summary>
[GenerateSerializer, Immutable, Alias("social.NewModerationAction")]
public sealed record NewModerationAction([property: Id(0)] long ModeratorId, [property: Id(1)] string Kind, [property: Id(2)] long AccountId,
    [property: Id(3)] Guid? PostId, [property: Id(4)] long? CommentId, [property: Id(5)] Guid? StoryId, [property: Id(6)] long? ReportId, [property: Id(7)] string Reason);

/// <summary>A recorded moderation action (the moderator's id only for moderators).</summary>
[GenerateSerializer, Immutable, Alias("social.ModerationAction")]
public sealed record ModerationAction([property: Id(0)] long Id, [property: Id(1)] string Kind, [property: Id(2)] long AccountId, [property: Id(3)] Guid? PostId,
    [property: Id(4)] long? CommentId, [property: Id(5)] Guid? StoryId, [property: Id(6)] long? ReportId, [property: Id(7)] string Reason,
    [property: Id(8)] DateTimeOffset CreatedAt, [property: Id(9)] long? ModeratorId);

/// <summary>A word or phrase that holds new posts containing it for review.</summary>
[GenerateSerializer, Immutable, Alias("social.KeywordFilter")]
public sealed record KeywordFilter([property: Id(0)] long Id, [property: Id(1)] string Keyword, [property: Id(2)] string Reason, [property: Id(3)] DateTimeOffset CreatedAt);

/// <summary>A post a keyword filter holds: who wrote it, what it says, the keyword it matched and the visibility it asked for.</summary>
[GenerateSerializer, Immutable, Alias("social.HeldPost")]
public sealed record HeldPost([property: Id(0)] Guid PostId, [property: Id(1)] long AuthorId, [property: Id(2)] string AuthorUsername, [property: Id(3)] string Text,
    [property: Id(4)] string Keyword, [property: Id(5)] string Visibility, [property: Id(6)] DateTimeOffset CreatedAt);

/// <summary>An account as the admin console lists it: who, its standing, and where it last signed in from.</summary>
[GenerateSerializer, Immutable, Alias("social.AdminAccount")]
public sealed record AdminAccount([property: Id(0)] long Id, [property: Id(1)] string Username, [property: Id(2)] string Email, [property: Id(3)] bool EmailVerified,
    [property: Id(4)] string Role, [property: Id(5)] DateTimeOffset CreatedAt, [property: Id(6)] bool Suspended, [property: Id(7)] bool Limited,
    [property: Id(8)] bool PasswordResetRequired, [property: Id(9)] DateTimeOffset? LastActiveAt, [property: Id(10)] string? LastIp);

/// <summary>What the admin console searches accounts by; every given criterion must hold.</summary>
[GenerateSerializer, Immutable, Alias("social.AccountFilter")]
public sealed record AccountFilter([property: Id(0)] string? Username = null, [property: Id(1)] string? Email = null, [property: Id(2)] string? IpPrefix = null,
    [property: Id(3)] string? Role = null, [property: Id(4)] string? Status = null);

/// <summary>An account's standing, as the admin console filters by it.</summary>
public static class AccountStatuses
{
    public const string Active = "active";
    public const string Suspended = "suspended";
    public const string Limited = "limited";
    public const string Unverified = "unverified";
    public const string ResetRequired = "reset_required";

    /// <summary>Deleted by their owners: in the grace period, being erased, or erased (placeholders).</summary>
    public const string Deleted = "deleted";

    public static IReadOnlyList<string> All { get; } = [Active, Suspended, Limited, Unverified, ResetRequired, Deleted];
}

/// <summary>A sign-up block: an email domain (and its subdomains) or one address that may not register.</summary>
[GenerateSerializer, Immutable, Alias("social.SignupBlock")]
public sealed record SignupBlock([property: Id(0)] long Id, [property: Id(1)] string Kind, [property: Id(2)] string Value, [property: Id(3)] string Reason,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>One day of the instance's statistics (UTC).</summary>
[GenerateSerializer, Immutable, Alias("social.InstanceDay")]
public sealed record InstanceDay([property: Id(0)] DateOnly Day, [property: Id(1)] long Accounts, [property: Id(2)] long NewAccounts, [property: Id(3)] long ActiveAccounts,
    [property: Id(4)] long Posts, [property: Id(5)] long Messages, [property: Id(6)] long ReportsOpened, [property: Id(7)] long ReportsClosed);

/// <summary>An appeal of a moderation action, as its account and the admins see it.</summary>
[GenerateSerializer, Immutable, Alias("social.Appeal")]
public sealed record Appeal([property: Id(0)] long Id, [property: Id(1)] ModerationAction Action, [property: Id(2)] string Text, [property: Id(3)] string Status,
    [property: Id(4)] string? Decision, [property: Id(5)] DateTimeOffset CreatedAt, [property: Id(6)] DateTimeOffset? DecidedAt);

/// <summary>Settings of reports and moderation (section <c>Moderation</c>).</summary>
public sealed class ModerationOptions
{
    /// <summary>Reports an account may file (or add to) in an hour. Default 20.</summary>
    public int ReportsPerHour { get; set; } = 20;

    /// <summary>Longest report comment, moderator note or reason. Default 1,000.</summary>
    public int MaxCommentLength { get; set; } = 1000;

    /// <summary>Most items (posts, comments, messages) one report names. Default 20.</summary>
    public int MaxItems { get; set; } = 20;
}

/// <summary>
/// The reports desk (a stateless worker: any silo): files reports, lists the open ones for moderators, and reads the audit
/// log for admins. Anyone who is not a moderator (or an admin, for the log) gets <see cref="KeyNotFoundException"/>:
/// the routes do not exist for them.
/// </summary>
[Alias("social.IReportDeskGrain")]
public interface IReportDeskGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Files (or merges into the reporter's open report on the same account) a report. <see cref="ArgumentException"/>
    /// names a bad field — content the reporter cannot see, or not the target's, is refused as if it did not exist;
    /// <see cref="KeyNotFoundException"/> when the account does not exist for the reporter; <see cref="LimitExceededException"/>
    /// past <see cref="ModerationOptions.ReportsPerHour"/>.
    /// </summary>
    Task<ReportReceipt> FileAsync(NewReport report);

    /// <summary>Open reports, newest first (cursor: the report id), optionally of one category.</summary>
    Task<IReadOnlyList<ReportSummary>> ListOpenAsync(long moderatorId, string? category, PageQuery page);

    /// <summary>The audit log, newest first (admins only).</summary>
    Task<IReadOnlyList<AuditEntry>> GetAuditLogAsync(long adminId, PageQuery page);

    /// <summary>
    /// An admin gives an account a role (<see cref="Roles"/>), recorded in the audit log; it counts at once (the account's
    /// grain reads it again). <see cref="ArgumentException"/> names <c>role</c> or <c>reason</c>; an admin's own role is
    /// refused (<see cref="OrleansSocial.Posts.ActionRefusedException"/>: another admin changes it), so the last admin
    /// cannot lock everyone out.
    /// </summary>
    Task<AdminAccount> SetRoleAsync(long adminId, long accountId, string role, string reason);

    /// <summary>
    /// Accounts matching every given criterion (username prefix, email containing, an address a session signed in from
    /// starting with the prefix, role, status), newest first. Admins only; <see cref="ArgumentException"/> names a bad field.
    /// </summary>
    Task<IReadOnlyList<AdminAccount>> SearchAccountsAsync(long adminId, AccountFilter filter, PageQuery page);

    /// <summary>
    /// Forces a password reset: the password stops working and every session ends (in one transaction, audited); the
    /// caller then mails the owner a reset link. Returns the account (with the address to mail). Admins only; not your own.
    /// </summary>
    Task<AdminAccount> ForcePasswordResetAsync(long adminId, long accountId, string reason);

    /// <summary>The keyword filters, newest first. Admins only.</summary>
    Task<IReadOnlyList<KeywordFilter>> GetKeywordFiltersAsync(long adminId, PageQuery page);

    /// <summary>Adds a keyword filter (new posts containing it are held for review); audited. Admins only.</summary>
    Task<KeywordFilter> AddKeywordFilterAsync(long adminId, string keyword, string reason);

    /// <summary>Removes a keyword filter (posts it holds stay held until decided); audited. Admins only.</summary>
    Task RemoveKeywordFilterAsync(long adminId, long filterId);

    /// <summary>Posts held by keyword filters, oldest first, after <paramref name="after"/> (their creation time). Moderators.</summary>
    Task<IReadOnlyList<HeldPost>> ListHeldPostsAsync(long moderatorId, int limit, DateTimeOffset? after);

    /// <summary>
    /// Approves a held post: it takes the visibility it was posted with and is fanned out; audited. Moderators. (Rejecting
    /// is a <c>remove_post</c> action, which the author may appeal.)
    /// </summary>
    Task ApproveHeldPostAsync(long moderatorId, Guid postId, string reason);

    /// <summary>
    /// A moderator acts (<see cref="ModerationActionKinds"/>): the content is removed through the grain that holds it (gone
    /// from every read path at once, kept for appeal), the action recorded with its audit row, and the account told (a
    /// <c>moderation</c> notification naming the action). <see cref="ArgumentException"/> names a bad field; content that
    /// is not the account's, or gone already, is refused naming it.
    /// </summary>
    Task<ModerationAction> TakeActionAsync(NewModerationAction action);

    /// <summary>The actions taken against the account, newest first: its own to read (the moderators are not named).</summary>
    Task<IReadOnlyList<ModerationAction>> GetActionsAgainstAsync(long accountId, PageQuery page);

    /// <summary>
    /// The account appeals an action taken against it — once (<see cref="OrleansSocial.Posts.ActionRefusedException"/>
    /// after that); <see cref="KeyNotFoundException"/> for an action not against it.
    /// </summary>
    Task<Appeal> AppealAsync(long accountId, long actionId, string text);

    /// <summary>
    /// Per day from <paramref name="from"/> to <paramref name="to"/> (UTC, at most 366 days): accounts (all, new, active),
    /// posts, messages, reports opened and closed. Admins only; <see cref="ArgumentException"/> names <c>from</c> or <c>to</c>.
    /// </summary>
    Task<IReadOnlyList<InstanceDay>> GetStatsAsync(long adminId, DateOnly from, DateOnly to);

    /// <summary>
    /// An admin signs the account out everywhere: every session revoked (its tokens refused within the front ends'
    /// revocation poll), audited. Returns how many sessions ended; <see cref="KeyNotFoundException"/> for no such account.
    /// </summary>
    Task<int> SignOutEverywhereAsync(long adminId, long accountId, string reason);

    /// <summary>The sign-up blocklist, newest first (admins only).</summary>
    Task<IReadOnlyList<SignupBlock>> GetSignupBlocksAsync(long adminId, PageQuery page);

    /// <summary>
    /// Blocks sign-ups from an email domain (<paramref name="kind"/> <c>domain</c>; its subdomains too) or one address
    /// (<c>email</c>), audited. <see cref="ArgumentException"/> names <c>kind</c>, <c>value</c> or <c>reason</c>.
    /// </summary>
    Task<SignupBlock> AddSignupBlockAsync(long adminId, string kind, string value, string reason);

    /// <summary>Lifts a sign-up block, audited; <see cref="KeyNotFoundException"/> when there is none.</summary>
    Task RemoveSignupBlockAsync(long adminId, long blockId);

    /// <summary>Open appeals, newest first (admins only).</summary>
    Task<IReadOnlyList<Appeal>> ListOpenAppealsAsync(long adminId, PageQuery page);

    /// <summary>
    /// An admin decides an open appeal: granted reverses the action (a removed post or comment comes back everywhere),
    /// denied leaves it; recorded with an audit row, and the account told (<c>appeal_decided</c>).
    /// </summary>
    Task<Appeal> DecideAppealAsync(long adminId, long appealId, bool grant, string reason);
}

/// <summary>
/// One report (key: its id): its changes one at a time, each recorded in the audit log with the moderator who made it.
/// Anyone who is not a moderator gets <see cref="KeyNotFoundException"/>.
/// </summary>
[Alias("social.IReportGrain")]
public interface IReportGrain : IGrainWithIntegerKey
{
    Task<ReportDetail> GetAsync(long moderatorId);

    /// <summary>Assigns the open report to the moderator calling.</summary>
    Task<ReportDetail> AssignToSelfAsync(long moderatorId);

    Task<ReportDetail> AddNoteAsync(long moderatorId, string text);

    /// <summary>
    /// Closes the open report as resolved (action taken) or rejected, with a reason kept on the report and in the audit
    /// log; the reporter gets a <c>report_resolved</c> notification. <see cref="OrleansSocial.Posts.ActionRefusedException"/>
    /// when it is closed already.
    /// </summary>
    Task<ReportDetail> CloseAsync(long moderatorId, bool resolved, string reason);
}
