using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Moderation;
using OrleansSocial.Notifications;
using OrleansSocial.Posts;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Moderation;

/// <summary>Who may moderate, asked of the account's own grain (its role as it is now, not as an old token says).</summary>
internal static class Moderators
{
    /// <summary>A moderator's or admin's reason, trimmed; <see cref="ArgumentException"/> naming <c>reason</c> when too long.</summary>
    public static string Reason(string? reason, ModerationOptions options)
    {
        var why = (reason ?? "").Trim();
        return why.Length <= options.MaxCommentLength ? why
            : throw new ArgumentException($"A reason is at most {options.MaxCommentLength} characters.", "reason");
    }

    /// <summary>
    /// The moderator (or, with <paramref name="adminOnly"/>, the admin) calling; anyone else gets
    /// <see cref="KeyNotFoundException"/>: for them the thing does not exist.
    /// </summary>
    public static async Task<AuditActor> RequireAsync(IGrainFactory grains, long accountId, bool adminOnly = false)
    {
        var profile = await grains.GetGrain<IUserGrain>(accountId).GetProfileAsync();
        return profile is { Suspended: false } p && (adminOnly ? p.Role == Roles.Admin : Roles.Moderates(p.Role))
            ? new AuditActor(p.Id, p.Username)
            : throw new KeyNotFoundException("Not found.");
    }

    /// <summary>The summaries with their reporters and targets as anyone sees them.</summary>
    public static async Task<IReadOnlyList<ReportSummary>> WithAccountsAsync(IGrainFactory grains, IReadOnlyList<ReportSummary> reports)
    {
        var ids = reports.SelectMany(r => new[] { r.ReporterId, r.TargetId }).Distinct().ToArray();
        var accounts = await Task.WhenAll(ids.Select(id => grains.GetGrain<IUserGrain>(id).GetAccountAsync(0)));
        var byId = ids.Zip(accounts).ToDictionary(p => p.First, p => p.Second);
        return [.. reports.Select(r => r with { Reporter = byId[r.ReporterId], Target = byId[r.TargetId] })];
    }
}

/// <summary>
/// Files reports — checking that each reported thing is the target's and one the reporter can see, through the grains
/// that hold them — and serves the open queue and the audit log. A stateless worker: any silo, no state.
/// </summary>
[StatelessWorker]
public sealed class ReportDeskGrain(ReportStore store, ModerationOptions options, KeywordFilters keywordFilters) : Grain, IReportDeskGrain
{
    public async Task<ReportReceipt> FileAsync(NewReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!ReportCategories.IsKnown(report.Category))
        {
            throw new ArgumentException($"category is one of {string.Join(", ", ReportCategories.All)}.", "category");
        }

        if (report.Comment.Length > options.MaxCommentLength)
        {
            throw new ArgumentException($"A comment is at most {options.MaxCommentLength} characters.", "comment");
        }

        if (report.ReporterId == report.TargetId)
        {
            throw new ArgumentException("You cannot report yourself.", "account_id");
        }

        if (report.PostIds.Count + report.CommentIds.Count + report.MessageIds.Count + (report.StoryId is null ? 0 : 1) > options.MaxItems)
        {
            throw new ArgumentException($"A report names at most {options.MaxItems} posts, comments and messages.", "post_ids");
        }

        if (report.MessageIds.Count > 0 != report.ConversationId is not null)
        {
            throw new ArgumentException("Messages are reported with the conversation they are in, and a conversation with its messages.", "message_ids");
        }

        if (await GrainFactory.GetGrain<IUserGrain>(report.TargetId).GetAccountAsync(0) is null)
        {
            throw new KeyNotFoundException("No such account.");
        }

        report = report with { PostIds = [.. report.PostIds.Distinct()], CommentIds = [.. report.CommentIds.Distinct()], MessageIds = [.. report.MessageIds.Distinct()] };
        await CheckVisibleAsync(report);
        var receipt = await store.FileAsync(report, options.ReportsPerHour);

        // Blocking or muting from the report: after it is filed, so the reported content was checked as the reporter saw it.
        var reporter = GrainFactory.GetGrain<IUserGrain>(report.ReporterId);
        if (report.Block)
        {
            await reporter.BlockAsync(report.TargetId);
        }

        if (report.Mute)
        {
            await reporter.MuteAsync(report.TargetId, null);
        }

        return receipt;
    }

    // Content the reporter cannot see, or not the target's, is refused as if it did not exist (naming the field only).
    private async Task CheckVisibleAsync(NewReport report)
    {
        var posts = await Task.WhenAll(report.PostIds.Select(id => GrainFactory.GetGrain<IPostGrain>(id).GetAsync(report.ReporterId)));
        if (posts.Any(p => p is null || p.Author.Id != report.TargetId))
        {
            throw new ArgumentException("post_ids are posts of this account that you can see.", "post_ids");
        }

        if (report.CommentIds.Count > 0)
        {
            var comments = await store.CommentsOfAsync(report.TargetId, [.. report.CommentIds]);
            var visible = comments.Count == report.CommentIds.Count
                && (await Task.WhenAll(comments.Values.Distinct().Select(post => GrainFactory.GetGrain<IPostGrain>(post).GetAsync(report.ReporterId)))).All(p => p is not null);
            if (!visible)
            {
                throw new ArgumentException("comment_ids are comments of this account that you can see.", "comment_ids");
            }
        }

        if (report.StoryId is { } story && (await GrainFactory.GetGrain<IStoryGrain>(story).GetAsync(report.ReporterId))?.Author.Id != report.TargetId)
        {
            throw new ArgumentException("story_id is a live story of this account that you can see.", "story_id");
        }

        if (report.ConversationId is { } conversation
            && await store.VisibleMessagesAsync(conversation, report.ReporterId, report.TargetId, [.. report.MessageIds]) != report.MessageIds.Count)
        {
            throw new ArgumentException("message_ids are messages this account sent in a conversation you are in.", "message_ids");
        }
    }

    public async Task<IReadOnlyList<ReportSummary>> ListOpenAsync(long moderatorId, string? category, PageQuery page)
    {
        await Moderators.RequireAsync(GrainFactory, moderatorId);
        if (category is not null && !ReportCategories.IsKnown(category))
        {
            throw new ArgumentException($"category is one of {string.Join(", ", ReportCategories.All)}.", "category");
        }

        return await Moderators.WithAccountsAsync(GrainFactory, await store.ListOpenAsync(category, page));
    }

    public async Task<IReadOnlyList<AuditEntry>> GetAuditLogAsync(long adminId, PageQuery page)
    {
        await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        return await store.AuditLogAsync(page);
    }

    public async Task<AdminAccount> SetRoleAsync(long adminId, long accountId, string role, string reason)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        if (!Roles.IsKnown(role))
        {
            throw new ArgumentException($"role is {Roles.User}, {Roles.Moderator} or {Roles.Admin}.", "role");
        }

        var why = Moderators.Reason(reason, options);

        if (accountId == adminId)
        {
            throw new ActionRefusedException("Another admin changes your role.");
        }

        if (!await store.SetRoleAsync(accountId, role, admin, why))
        {
            throw new KeyNotFoundException("No such account.");
        }

        _ = await GrainFactory.GetGrain<IUserGrain>(accountId).ReloadAsync() ?? throw new KeyNotFoundException("No such account.");
        return await store.AdminAccountAsync(accountId) ?? throw new KeyNotFoundException("No such account.");
    }

    public async Task<IReadOnlyList<AdminAccount>> SearchAccountsAsync(long adminId, AccountFilter filter, PageQuery page)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        if (filter.Role is { } role && !Roles.IsKnown(role))
        {
            throw new ArgumentException($"role is {Roles.User}, {Roles.Moderator} or {Roles.Admin}.", "role");
        }

        if (filter.Status is { } status && !AccountStatuses.All.Contains(status))
        {
            throw new ArgumentException($"status is one of {string.Join(", ", AccountStatuses.All)}.", "status");
        }

        foreach (var (field, value) in new[] { ("username", filter.Username), ("email", filter.Email), ("ip", filter.IpPrefix) })
        {
            if (value is not null && (value.Trim().Length is 0 or > 320 || value.Any(char.IsControl)))
            {
                throw new ArgumentException($"{field} is 1 to 320 characters of text.", field);
            }
        }

        return await store.SearchAccountsAsync(filter, page);
    }

    public async Task<AdminAccount> ForcePasswordResetAsync(long adminId, long accountId, string reason)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        var why = Moderators.Reason(reason, options);

        if (accountId == adminId)
        {
            throw new ActionRefusedException("Change your own password in your settings.");
        }

        return await store.ForcePasswordResetAsync(accountId, admin, why) ?? throw new KeyNotFoundException("No such account.");
    }

    public async Task<ModerationAction> TakeActionAsync(NewModerationAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var moderator = await Moderators.RequireAsync(GrainFactory, action.ModeratorId);
        if (!ModerationActionKinds.All.Contains(action.Kind))
        {
            throw new ArgumentException($"kind is one of {string.Join(", ", ModerationActionKinds.All)}.", "kind");
        }

        action = action with { Reason = Moderators.Reason(action.Reason, options) };

        var account = GrainFactory.GetGrain<IUserGrain>(action.AccountId);
        var profile = await account.GetProfileAsync() ?? throw new KeyNotFoundException("No such account.");
        if (action.Kind is ModerationActionKinds.Suspend or ModerationActionKinds.Unsuspend)
        {
            if (action.Kind == ModerationActionKinds.Suspend && profile.Role == Roles.Admin)
            {
                throw new ActionRefusedException("An admin is not suspended: another admin changes their role first.");
            }

            if (!await store.SetSuspendedAsync(action.AccountId, action.Kind == ModerationActionKinds.Suspend))
            {
                throw new ArgumentException(profile.Suspended ? "This account is suspended already." : "This account is not suspended.", "account_id");
            }

            await account.ReloadAsync(); // its grain hides it (or shows it again) from now on, and tells the trays holding it
        }
        else if (action.Kind is ModerationActionKinds.Limit or ModerationActionKinds.Unlimit)
        {
            if (action.Kind == ModerationActionKinds.Limit && profile.Role != Roles.User)
            {
                throw new ActionRefusedException("Moderators and admins are not limited: an admin changes their role first.");
            }

            if (!await store.SetLimitedAsync(action.AccountId, action.Kind == ModerationActionKinds.Limit))
            {
                throw new ArgumentException(profile.Limited ? "This account is limited already." : "This account is not limited.", "account_id");
            }

            await account.ReloadAsync(); // every post, story and tray asks its grain, which answers limited from now on
        }

        // The content goes first, through its grain (content already gone is refused: there is nothing to remove); then
        // the action and its audit row; then the account hears of it.
        await RemoveContentAsync(action);
        var recorded = await store.RecordActionAsync(action, moderator);
        await GrainFactory.GetGrain<INotificationInboxGrain>(action.AccountId)
            .NotifyAsync(new NotificationRequest(NotificationTypes.Moderation, 0) { ActionId = recorded.Id });
        return recorded;
    }

    private async Task RemoveContentAsync(NewModerationAction action)
    {
        var (field, key) = action.Kind switch
        {
            ModerationActionKinds.RemovePost or ModerationActionKinds.MarkSensitive => ("post_id", (object?)action.PostId),
            ModerationActionKinds.RemoveComment => ("comment_id", action.CommentId),
            ModerationActionKinds.RemoveStory => ("story_id", action.StoryId),
            _ => ("", null),
        };
        if (field.Length == 0)
        {
            return; // a warning removes nothing
        }

        var contentKind = action.Kind == ModerationActionKinds.MarkSensitive ? ModerationActionKinds.RemovePost : action.Kind;
        if (key is null || await store.AuthorOfAsync(contentKind, key) is not { } found || found.Author != action.AccountId)
        {
            throw new ArgumentException($"{field} names content of this account.", field);
        }

        var removed = action.Kind switch
        {
            ModerationActionKinds.RemovePost => await GrainFactory.GetGrain<IPostGrain>(action.PostId!.Value).RemoveAsync(),
            ModerationActionKinds.MarkSensitive => await GrainFactory.GetGrain<IPostGrain>(action.PostId!.Value).SetSensitiveAsync(true),
            ModerationActionKinds.RemoveComment => await GrainFactory.GetGrain<IPostGrain>(found.Post!.Value).RemoveCommentAsync(action.CommentId!.Value),
            _ => await GrainFactory.GetGrain<IStoryGrain>(action.StoryId!.Value).RemoveAsync(),
        };
        if (!removed)
        {
            throw new ArgumentException($"{field} names content that is gone already (or is marked so already).", field);
        }
    }

    public Task<IReadOnlyList<ModerationAction>> GetActionsAgainstAsync(long accountId, PageQuery page) => store.ActionsAgainstAsync(accountId, page);

    public async Task<Appeal> AppealAsync(long accountId, long actionId, string text)
    {
        var why = (text ?? "").Trim();
        if (why.Length == 0 || why.Length > options.MaxCommentLength)
        {
            throw new ArgumentException($"An appeal says why in 1 to {options.MaxCommentLength} characters.", "text");
        }

        return await store.AppealAsync(accountId, actionId, why) switch
        {
            null => throw new KeyNotFoundException("No such action."),
            false => throw new ActionRefusedException("This action was appealed already: an action is appealed once."),
            true => await store.AppealOfAsync(actionId, null) ?? throw new KeyNotFoundException("No such appeal."),
        };
    }

    public async Task<IReadOnlyList<InstanceDay>> GetStatsAsync(long adminId, DateOnly from, DateOnly to)
    {
        await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        if (to < from)
        {
            throw new ArgumentException("to is on or after from.", "to");
        }

        if (to.DayNumber - from.DayNumber > 365)
        {
            throw new ArgumentException("A range is at most 366 days.", "from");
        }

        return await store.StatsAsync(from, to);
    }

    public async Task<int> SignOutEverywhereAsync(long adminId, long accountId, string reason)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        var why = Moderators.Reason(reason, options);

        _ = await GrainFactory.GetGrain<IUserGrain>(accountId).GetProfileAsync() ?? throw new KeyNotFoundException("No such account.");
        return await store.RevokeSessionsAsync(accountId, admin, why);
    }

    public async Task<IReadOnlyList<SignupBlock>> GetSignupBlocksAsync(long adminId, PageQuery page)
    {
        await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        return await store.SignupBlocksAsync(page);
    }

    public async Task<SignupBlock> AddSignupBlockAsync(long adminId, string kind, string value, string reason)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        var normalized = (value ?? "").Trim().ToLowerInvariant();
        var valid = kind switch
        {
            "domain" => normalized.Length is > 0 and <= 253 && !normalized.Contains('@', StringComparison.Ordinal) && normalized.Contains('.', StringComparison.Ordinal)
                && normalized.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-') && !normalized.StartsWith('.') && !normalized.EndsWith('.'),
            "email" => normalized.Length is > 2 and <= 320 && normalized.IndexOf('@', StringComparison.Ordinal) is > 0 && !normalized.EndsWith('@'),
            _ => throw new ArgumentException("kind is domain or email.", "kind"),
        };
        if (!valid)
        {
            throw new ArgumentException(kind == "domain" ? "value is a domain name such as spam.example." : "value is an email address.", "value");
        }

        var why = Moderators.Reason(reason, options);

        return await store.AddSignupBlockAsync(kind, normalized, why, admin);
    }

    public async Task RemoveSignupBlockAsync(long adminId, long blockId)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        if (!await store.RemoveSignupBlockAsync(blockId, admin))
        {
            throw new KeyNotFoundException("No such block.");
        }
    }

    public async Task<IReadOnlyList<KeywordFilter>> GetKeywordFiltersAsync(long adminId, PageQuery page)
    {
        await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        return await store.KeywordFiltersAsync(page);
    }

    public async Task<KeywordFilter> AddKeywordFilterAsync(long adminId, string keyword, string reason)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        var word = System.Text.RegularExpressions.Regex.Replace((keyword ?? "").Trim(), @"\s+", " ");
        if (word.Length is 0 or > 100 || word.Any(char.IsControl))
        {
            throw new ArgumentException("keyword is a word or phrase of 1 to 100 characters.", "keyword");
        }

        var why = Moderators.Reason(reason, options);

        var added = await store.ChangeKeywordFilterAsync(add: true, 0, word, why, admin)
            ?? throw new ArgumentException("This keyword is filtered already.", "keyword");
        keywordFilters.Invalidate();
        return added;
    }

    public async Task RemoveKeywordFilterAsync(long adminId, long filterId)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        _ = await store.ChangeKeywordFilterAsync(add: false, filterId, "", "", admin) ?? throw new KeyNotFoundException("No such keyword filter.");
        keywordFilters.Invalidate();
    }

    public async Task<IReadOnlyList<HeldPost>> ListHeldPostsAsync(long moderatorId, int limit, DateTimeOffset? after)
    {
        await Moderators.RequireAsync(GrainFactory, moderatorId);
        return await store.HeldPostsAsync(Math.Clamp(limit, 1, 100), after);
    }

    public async Task ApproveHeldPostAsync(long moderatorId, Guid postId, string reason)
    {
        var moderator = await Moderators.RequireAsync(GrainFactory, moderatorId);
        var why = Moderators.Reason(reason, options);

        if (!await GrainFactory.GetGrain<IPostGrain>(postId).ReleaseAsync())
        {
            throw new KeyNotFoundException("No such held post.");
        }

        await store.AuditAsync(moderator, "post.approve", "post", postId.ToString(), why);
    }

    public async Task<IReadOnlyList<Appeal>> ListOpenAppealsAsync(long adminId, PageQuery page)
    {
        await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        return await store.OpenAppealsAsync(page);
    }

    public async Task<Appeal> DecideAppealAsync(long adminId, long appealId, bool grant, string reason)
    {
        var admin = await Moderators.RequireAsync(GrainFactory, adminId, adminOnly: true);
        var why = Moderators.Reason(reason, options);

        var appeal = await store.AppealOfAsync(null, appealId) ?? throw new KeyNotFoundException("No such appeal.");
        if (!await store.DecideAppealAsync(appealId, grant, why, admin))
        {
            throw new ActionRefusedException("This appeal was decided already.");
        }

        // Granted: what the action removed comes back, through the grain that holds it (idempotent).
        var action = appeal.Action;
        if ((grant && action.Kind == ModerationActionKinds.Suspend && await store.SetSuspendedAsync(action.AccountId, false))
            || (grant && action.Kind == ModerationActionKinds.Limit && await store.SetLimitedAsync(action.AccountId, false)))
        {
            await GrainFactory.GetGrain<IUserGrain>(action.AccountId).ReloadAsync();
        }

        if (grant && action.Kind == ModerationActionKinds.RemovePost && action.PostId is { } post)
        {
            await GrainFactory.GetGrain<IPostGrain>(post).RestoreAsync();
        }
        else if (grant && action.Kind == ModerationActionKinds.MarkSensitive && action.PostId is { } marked)
        {
            await GrainFactory.GetGrain<IPostGrain>(marked).SetSensitiveAsync(false);
        }
        else if (grant && action.Kind == ModerationActionKinds.RemoveComment && action.CommentId is { } comment
            && await store.AuthorOfAsync(ModerationActionKinds.RemoveComment, comment) is { Post: { } onPost })
        {
            await GrainFactory.GetGrain<IPostGrain>(onPost).RestoreCommentAsync(comment);
        }
        else if (grant && action.Kind == ModerationActionKinds.RemoveStory && action.StoryId is { } story)
        {
            await GrainFactory.GetGrain<IStoryGrain>(story).RestoreAsync(); // within its lifetime; an expired story stays ended
        }

        await GrainFactory.GetGrain<INotificationInboxGrain>(action.AccountId)
            .NotifyAsync(new NotificationRequest(NotificationTypes.AppealDecided, 0) { ActionId = action.Id });
        return await store.AppealOfAsync(null, appealId) ?? appeal;
    }
}

/// <summary>
/// One report: a moderator's changes to it go one at a time (assignment, notes, closing), each with its audit row in the
/// same transaction; closing tells the reporter (<c>report_resolved</c>, from the instance). No state is held: the
/// report is read for each call (moderators are few; the rows are the truth).
/// </summary>
public sealed class ReportGrain(ReportStore store, ModerationOptions options) : Grain, IReportGrain
{
    private long Id => this.GetPrimaryKeyLong();

    public async Task<ReportDetail> GetAsync(long moderatorId)
    {
        await Moderators.RequireAsync(GrainFactory, moderatorId);
        return await DetailAsync();
    }

    public async Task<ReportDetail> AssignToSelfAsync(long moderatorId)
    {
        var actor = await Moderators.RequireAsync(GrainFactory, moderatorId);
        if (!await store.AssignAsync(Id, actor))
        {
            await ExistingAsync(); // no such report: 404; else it is closed
            throw new ActionRefusedException("This report is closed.");
        }

        return await DetailAsync();
    }

    public async Task<ReportDetail> AddNoteAsync(long moderatorId, string text)
    {
        var actor = await Moderators.RequireAsync(GrainFactory, moderatorId);
        var note = (text ?? "").Trim();
        if (note.Length == 0 || note.Length > options.MaxCommentLength)
        {
            throw new ArgumentException($"A note has 1 to {options.MaxCommentLength} characters.", "text");
        }

        if (!await store.AddNoteAsync(Id, actor, note))
        {
            throw new KeyNotFoundException("No such report.");
        }

        return await DetailAsync();
    }

    public async Task<ReportDetail> CloseAsync(long moderatorId, bool resolved, string reason)
    {
        var actor = await Moderators.RequireAsync(GrainFactory, moderatorId);
        var why = Moderators.Reason(reason, options);

        if (!await store.CloseAsync(Id, actor, resolved, why))
        {
            await ExistingAsync(); // no such report: 404; else it is closed
            throw new ActionRefusedException("This report is closed already.");
        }

        var detail = await DetailAsync();
        await GrainFactory.GetGrain<INotificationInboxGrain>(detail.Report.ReporterId)
            .NotifyAsync(new NotificationRequest(NotificationTypes.ReportResolved, 0) { ReportId = Id });
        return detail;
    }

    private async Task<ReportDetail> ExistingAsync() => await store.LoadAsync(Id) ?? throw new KeyNotFoundException("No such report.");

    private async Task<ReportDetail> DetailAsync()
    {
        var detail = await ExistingAsync();
        var accounts = await Moderators.WithAccountsAsync(GrainFactory, [detail.Report, .. detail.PriorReports]);
        return detail with { Report = accounts[0], PriorReports = [.. accounts.Skip(1)] };
    }
}
