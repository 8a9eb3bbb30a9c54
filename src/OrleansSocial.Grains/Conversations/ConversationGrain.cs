using System.Globalization;
using System.Text.Json;
using OrleansSocial.Conversations;
using OrleansSocial.Posts;
using OrleansSocial.Realtime;
using Orleans;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Conversations;

/// <summary>
/// A conversation: its members held hot, its messages rows. Sends are numbered by the row (one statement bumps the
/// conversation's counter and inserts; <see cref="MessageWriter"/> groups the sends of many conversations into it), so
/// every acknowledged message is stored exactly once, and each goes to every
/// member's connections as the SignalR <c>message</c> event.
/// </summary>
public sealed class ConversationGrain(ConversationStore store, MessageWriter messages, ConversationOptions options, TimeProvider time) : Grain, IConversationGrain
{
    private const int MaxClientIdLength = 100;
    private const int MaxTitleLength = 100;

    private ConversationRecord? _conversation;
    private readonly Dictionary<long, DateTimeOffset> _typingUntil = [];
    private IGrainTimer? _typingTimer;

    private Guid Id => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => _conversation = await store.LoadAsync(Id);

    public async Task<ConversationView> StartDirectAsync(long starter, long other)
    {
        if (starter == other)
        {
            throw new ArgumentException("A direct conversation needs another account.", "participant_ids");
        }

        if (ConversationKinds.DirectId(starter, other) != Id)
        {
            throw new ArgumentException("This is not the direct conversation of these accounts.", "participant_ids");
        }

        if (_conversation is null)
        {
            await RefuseUnlessAcceptedAsync(starter, other);
            await store.CreateAsync(Id, ConversationKinds.Direct, null, starter, [starter, other]);
            _conversation = await store.LoadAsync(Id);
        }

        return await ViewAsync(starter);
    }

    public async Task<ConversationView> StartGroupAsync(long creator, long[] members, string? title)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (_conversation is not null)
        {
            throw new InvalidOperationException("This conversation exists already.");
        }

        var everyone = members.Prepend(creator).Distinct().ToArray();
        if (everyone.Length < 2 || everyone.Length > options.MaxGroupMembers)
        {
            throw new ArgumentException($"A group has 2 to {options.MaxGroupMembers} members, you included.", "participant_ids");
        }

        var name = Title(title);
        foreach (var member in everyone.Skip(1))
        {
            await RefuseUnlessAcceptedAsync(creator, member);
        }

        await RefuseAcrossBlocksAsync(everyone[1..], everyone);

        await store.CreateAsync(Id, ConversationKinds.Group, name, creator, everyone);
        _conversation = await store.LoadAsync(Id);
        return await ViewAsync(creator);
    }

    public Task<ConversationView> GetAsync(long viewerId) => ViewAsync(viewerId);

    public async Task<ConversationView> AddMembersAsync(long adminId, long[] accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var conversation = AdminOnly(adminId);
        if (accounts.Length == 0)
        {
            throw new ArgumentException("Name at least one account to add.", "account_ids");
        }

        var added = accounts.Distinct().Where(a => conversation.Members.All(m => m.Account != a)).ToArray();

        if (conversation.Members.Count + added.Length > options.MaxGroupMembers)
        {
            throw new ArgumentException($"A group has at most {options.MaxGroupMembers} members.", "account_ids");
        }

        foreach (var account in added)
        {
            await RefuseUnlessAcceptedAsync(adminId, account);
        }

        await RefuseAcrossBlocksAsync(added, [.. conversation.Members.Select(m => m.Account), .. added]);

        if (added.Length > 0)
        {
            await store.AddMembersAsync(Id, added, conversation.LastSeq);
            await ReloadAndAnnounceAsync([]);
        }

        return await ViewAsync(adminId);
    }

    public async Task RemoveMemberAsync(long actorId, long memberId)
    {
        // Leaving is anyone's; removing someone else is an admin's.
        var conversation = actorId == memberId ? GroupOnly(actorId) : AdminOnly(actorId);
        if (conversation.Members.All(m => m.Account != memberId))
        {
            throw new KeyNotFoundException("No such member.");
        }

        _typingUntil.Remove(memberId);
        await store.RemoveMemberAsync(Id, memberId);
        await ReloadAndAnnounceAsync([memberId]);
    }

    public async Task<ConversationView> RenameAsync(long adminId, string? title)
    {
        AdminOnly(adminId);
        await store.RenameAsync(Id, Title(title));
        await ReloadAndAnnounceAsync([]);
        return await ViewAsync(adminId);
    }

    // After a membership or title change: the held record is read again, and the members — and whoever just left — hear of it.
    private async Task ReloadAndAnnounceAsync(long[] alsoTell)
    {
        _conversation = await store.LoadAsync(Id) ?? _conversation! with { Members = [] };
        var conversation = _conversation;
        var e = UserEvents.Create(UserEventNames.ConversationUpdated, new ConversationUpdatedEvent(Id.ToString(), conversation.Title,
            [.. conversation.Members.Select(m => m.Account.ToString(CultureInfo.InvariantCulture))],
            [.. conversation.Members.Where(m => m.Role == "admin").Select(m => m.Account.ToString(CultureInfo.InvariantCulture))]));
        await UserEvents.PublishAsync(ServiceProvider, conversation.Members.Select(m => m.Account).Concat(alsoTell).Distinct(), e);
    }

    private static string? Title(string? title)
    {
        var name = title?.Trim();
        if (name is { Length: > MaxTitleLength } || name?.Any(char.IsControl) == true)
        {
            throw new ArgumentException($"A title is at most {MaxTitleLength} characters on one line.", "title");
        }

        return string.IsNullOrEmpty(name) ? null : name;
    }

    // Membership and title changes: a group's admins only (members get 403, others 404, as for anything else).
    private ConversationRecord AdminOnly(long accountId)
    {
        var conversation = GroupOnly(accountId);
        return conversation.Members.Any(m => m.Account == accountId && m.Role == "admin")
            ? conversation
            : throw new ActionRefusedException("Only an admin of this group can do that.");
    }

    // A direct conversation has no membership or title to change.
    private ConversationRecord GroupOnly(long accountId)
    {
        var conversation = MemberOnly(accountId);
        return conversation.Kind == ConversationKinds.Group
            ? conversation
            : throw new ActionRefusedException("A direct conversation has no members to change or title to set.");
    }

    public async Task<MessageView> SendAsync(NewMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var conversation = MemberOnly(message.SenderId);
        if (string.IsNullOrWhiteSpace(message.ClientId) || message.ClientId.Length > MaxClientIdLength || message.ClientId.Any(char.IsControl))
        {
            throw new ArgumentException($"client_id is 1 to {MaxClientIdLength} characters chosen by the client.", "client_id");
        }

        options.RequireText(message.Text);

        if (message.ReplyTo is { } replyTo && (replyTo < 1 || replyTo > conversation.LastSeq))
        {
            throw new ArgumentException("reply_to is not a message of this conversation.", "reply_to");
        }

        if (conversation.Kind == ConversationKinds.Direct)
        {
            await RefuseUnlessAcceptedAsync(message.SenderId, conversation.Members.First(m => m.Account != message.SenderId).Account);
        }

        var (sent, created) = await messages.SendAsync(Id, message, time.GetUtcNow());
        if (sent.Story is not null)
        {
            sent = (await store.WithStoriesAsync([sent]))[0];
        }

        if (_typingUntil.Remove(message.SenderId))
        {
            await PublishTypingAsync(UserEventNames.TypingStopped, message.SenderId);
        }

        if (created)
        {
            _conversation = conversation with { LastSeq = Math.Max(conversation.LastSeq, sent.Seq) };
            await PublishAsync(conversation, UserEventNames.Message, sent);
        }

        return sent;
    }

    public async Task<IReadOnlyList<MessageView>> GetMessagesAsync(long viewerId, PageQuery page)
    {
        var conversation = MemberOnly(viewerId);
        var messages = await store.MessagesAsync(Id, viewerId, page);
        var blocked = await BlockedEitherWayAsync(viewerId);
        return [.. messages.Select(m => m with
        {
            ReadBy = [.. conversation.Members.Where(x => x.Account != m.SenderId && x.ReadSeq >= m.Seq && !blocked.Contains(x.Account)).Select(x => x.Account)],
        })];
    }

    public async Task<long> MarkReadAsync(long memberId, long seq)
    {
        var conversation = MemberOnly(memberId);
        var current = conversation.Members.First(m => m.Account == memberId).ReadSeq;
        var target = Math.Min(seq, conversation.LastSeq);
        if (target <= current)
        {
            return current;
        }

        var now = time.GetUtcNow();
        var direct = conversation.Kind == ConversationKinds.Direct;
        var pointer = await store.MarkReadAsync(Id, memberId, target, stampReadAt: direct, now);
        conversation = _conversation!;
        _conversation = conversation with
        {
            Members = [.. conversation.Members.Select(m => m.Account == memberId ? (m.Account, m.Role, Math.Max(m.ReadSeq, pointer)) : m)],
        };
        var e = UserEvents.Create(UserEventNames.Read, new ReadEvent(Id.ToString(),
            memberId.ToString(CultureInfo.InvariantCulture), pointer.ToString(CultureInfo.InvariantCulture), direct ? now : null));
        await UserEvents.PublishAsync(ServiceProvider, await OthersAsync(conversation, memberId), e);
        return pointer;
    }

    public async Task<MessageView> EditMessageAsync(long memberId, long seq, string text)
    {
        var conversation = MemberOnly(memberId);
        options.RequireText(text);

        var (message, changed) = await store.ChangeAsync(Id, seq, memberId, text, time.GetUtcNow());
        var edited = OwnOrRefuse(message, memberId, changed);
        if (edited.Story is not null)
        {
            edited = (await store.WithStoriesAsync([edited]))[0];
        }

        await PublishAsync(conversation, UserEventNames.MessageUpdated, edited);
        return edited;
    }

    public async Task DeleteMessageAsync(long memberId, long seq)
    {
        var conversation = MemberOnly(memberId);
        var (message, changed) = await store.ChangeAsync(Id, seq, memberId, null, time.GetUtcNow());
        if (message is { Deleted: true } && message.SenderId == memberId && !changed)
        {
            return; // deleted already
        }

        await PublishAsync(conversation, UserEventNames.MessageDeleted, OwnOrRefuse(message, memberId, changed));
    }

    // What a change of a message found: not there (or deleted) is missing, someone else's is refused.
    private static MessageView OwnOrRefuse(MessageView? message, long memberId, bool changed) =>
        message is null || (!changed && message.Deleted) ? throw new KeyNotFoundException("No such message.")
        : message.SenderId != memberId ? throw new ActionRefusedException("Only its sender can change a message.")
        : message;

    // The sender's own connections get it too; members a block stands between them and the sender do not.
    private async Task PublishAsync(ConversationRecord conversation, string name, MessageView message)
    {
        var e = UserEvents.Create(name, MessageEvent.From(message));
        var blocked = await BlockedEitherWayAsync(message.SenderId);
        await UserEvents.PublishAsync(ServiceProvider, conversation.Members.Select(m => m.Account).Where(a => !blocked.Contains(a)), e);
    }

    public async Task TypingAsync(long memberId)
    {
        MemberOnly(memberId);
        var wasTyping = _typingUntil.ContainsKey(memberId);
        var now = time.GetUtcNow();
        _typingUntil[memberId] = now + ConversationKinds.TypingExpiry;
        ScheduleTypingExpiry(now);
        if (!wasTyping)
        {
            await PublishTypingAsync(UserEventNames.Typing, memberId);
        }
    }

    private async Task ExpireTypingAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var member in _typingUntil.Where(t => t.Value <= now).Select(t => t.Key).ToArray())
        {
            _typingUntil.Remove(member);
            await PublishTypingAsync(UserEventNames.TypingStopped, member);
        }

        ScheduleTypingExpiry(now);
    }

    // One timer, due when the earliest typing state expires (rescheduled by every signal); none while nobody types.
    private void ScheduleTypingExpiry(DateTimeOffset now)
    {
        if (_typingUntil.Count == 0)
        {
            _typingTimer?.Dispose();
            _typingTimer = null;
            return;
        }

        var due = _typingUntil.Values.Min() - now;
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due;
        if (_typingTimer is null)
        {
            _typingTimer = this.RegisterGrainTimer(ExpireTypingAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
        }
        else
        {
            _typingTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    // Typing is never stored: the event goes to the other members' connections.
    private async Task PublishTypingAsync(string name, long memberId)
    {
        var e = UserEvents.Create(name, new TypingEvent(Id.ToString(), memberId.ToString(CultureInfo.InvariantCulture)));
        await UserEvents.PublishAsync(ServiceProvider, await OthersAsync(_conversation!, memberId), e);
    }

    // The other members who hear of what a member does: not those a block stands between them and the member.
    private async Task<IEnumerable<long>> OthersAsync(ConversationRecord conversation, long memberId)
    {
        var blocked = await BlockedEitherWayAsync(memberId);
        return conversation.Members.Select(m => m.Account).Where(a => a != memberId && !blocked.Contains(a));
    }

    // From the account's grain (in memory); usually empty.
    private Task<long[]> BlockedEitherWayAsync(long accountId) => GrainFactory.Reference<IUserGrain>(accountId).GetBlockedEitherWayAsync();

    // Accounts a block stands between are never put in one group; the refusal does not say who.
    private async Task RefuseAcrossBlocksAsync(long[] joining, long[] everyone)
    {
        if (joining.Length > 0 && await store.BlockStandsAmongAsync(joining, everyone))
        {
            throw new ActionRefusedException("These accounts cannot be in one group.");
        }
    }

    // Anyone but a member sees no conversation at all.
    private ConversationRecord MemberOnly(long accountId) =>
        _conversation is { } c && c.Members.Any(m => m.Account == accountId) ? c : throw new KeyNotFoundException("No such conversation.");

    // A block either way, or the recipient's dm_policy, refuses it (the same answer for both: the reason is theirs).
    private async Task RefuseUnlessAcceptedAsync(long sender, long recipient)
    {
        if (!await GrainFactory.Reference<IUserGrain>(recipient).AcceptsMessagesFromAsync(sender))
        {
            throw new ActionRefusedException("This account does not accept messages from you.");
        }
    }

    private async Task<ConversationView> ViewAsync(long viewerId)
    {
        var conversation = MemberOnly(viewerId);
        var accounts = await Task.WhenAll(conversation.Members.Select(m => GrainFactory.Reference<IUserGrain>(m.Account).GetAccountAsync(0)));
        return conversation.ToView(conversation.Members.Zip(accounts, (m, a) => (m.Account, a)).ToDictionary(p => p.Account, p => p.a));
    }
}

/// <summary>The payload of <c>typing</c> and <c>typing_stopped</c>.</summary>
public sealed record TypingEvent(string ConversationId, string AccountId);

/// <summary>The payload of <c>read</c>: a member's read pointer moved to <see cref="LastReadId"/> (in a direct conversation, at <see cref="ReadAt"/>).</summary>
public sealed record ReadEvent(string ConversationId, string AccountId, string LastReadId, DateTimeOffset? ReadAt);

/// <summary>The payload of <c>conversation_updated</c>: a group's title, members and admins as they are now.</summary>
public sealed record ConversationUpdatedEvent(string ConversationId, string? Title, string[] MemberIds, string[] AdminIds);

/// <summary>The payload of <c>message</c>: the message as the REST history returns it (ids as strings).</summary>
/// <remarks>
/// <c>story</c>: the story it replies or reacts to — without media URLs (those are signed per request by the front end;
/// the client fetches the message, or the story, to show it).
/// </remarks>
public sealed record MessageEvent(string ConversationId, string Id, string SenderId, string ClientId, string? Text, string? ReplyTo, DateTimeOffset CreatedAt,
    StoryQuoteEvent? Story = null)
{
    public static MessageEvent From(MessageView m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.ConversationId.ToString(), m.Seq.ToString(CultureInfo.InvariantCulture), m.SenderId.ToString(CultureInfo.InvariantCulture), m.ClientId,
            m.Text, m.ReplyTo?.ToString(CultureInfo.InvariantCulture), m.CreatedAt,
            m.Story is { } q ? new StoryQuoteEvent(q.StoryId.ToString(), q.AuthorId.ToString(CultureInfo.InvariantCulture), q.Kind, q.Live) : null);
    }
}

/// <summary>The story a <c>message</c> event is about (<c>kind</c>: reply, reaction or mention; <c>live</c>: not ended yet).</summary>
public sealed record StoryQuoteEvent(string Id, string AccountId, string Kind, bool Live);
