using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSocial.Api.Accounts;
using OrleansSocial.Api.Infrastructure;
using OrleansSocial.Api.Relationships;
using OrleansSocial.Conversations;
using Orleans;

namespace OrleansSocial.Api.Conversations;

/// <summary>Body of <c>POST /api/v1/conversations</c>: one other account for a direct conversation, or several (and a title) for a group.</summary>
public sealed record StartConversationRequest(string[]? ParticipantIds, string? Title);

/// <summary>Body of <c>POST /api/v1/conversations/{id}/messages</c>.</summary>
public sealed record SendMessageRequest(string? ClientId, [property: LongText] string? Text, string? ReplyTo);

public sealed record MemberResponse(PublicAccountResponse Account, string Role, string LastReadId);

public sealed record ConversationResponse(string Id, string Kind, string? Title, MemberResponse[] Members, string LastMessageId, DateTimeOffset CreatedAt)
{
    public static ConversationResponse From(ConversationView c) => new(c.Id.ToString(), c.Kind, c.Title,
        [.. c.Members.Select(m => new MemberResponse(PublicAccountResponse.From(m.Account), m.Role, m.ReadSeq.ToString(CultureInfo.InvariantCulture)))],
        c.LastSeq.ToString(CultureInfo.InvariantCulture), c.CreatedAt);
}

/// <summary>
/// A message; <c>id</c> is its number in the conversation (the history's cursor); <c>read_by</c>: the other members who have
/// read it; <c>read_at</c> (direct conversations): when the recipient first read it; <c>story</c>: the story it replies or
/// reacts to. <c>media_attachments</c> is the place attachments will take when messages carry uploads; until then
/// messages are text and it is empty.
/// </summary>
public sealed record MessageResponse(string Id, string ConversationId, string SenderId, string ClientId, string? Text, string? ReplyTo, DateTimeOffset CreatedAt,
    DateTimeOffset? EditedAt, bool Deleted, string[] ReadBy, DateTimeOffset? ReadAt)
{
    public IReadOnlyList<string> MediaAttachments { get; init; } = [];

    public StoryQuoteResponse? Story { get; init; }

    public static MessageResponse From(MessageView m) => new(m.Seq.ToString(CultureInfo.InvariantCulture), m.ConversationId.ToString(),
        m.SenderId.ToString(CultureInfo.InvariantCulture), m.ClientId, m.Text, m.ReplyTo?.ToString(CultureInfo.InvariantCulture), m.CreatedAt, m.EditedAt, m.Deleted,
        [.. (m.ReadBy ?? []).Select(a => a.ToString(CultureInfo.InvariantCulture))], m.ReadAt)
    {
        Story = m.Story is { } q ? StoryQuoteResponse.From(q) : null,
    };
}

/// <summary>
/// The story a message replies (<c>kind</c> reply) or reacts (reaction) to, or mentions its recipient in (mention). While the story is live (<c>live</c>) the quote
/// shows its media (signed URLs) and caption; once it has ended, only which story of which account it was.
/// </summary>
public sealed record StoryQuoteResponse(string Id, string AccountId, string Kind, bool Live, DateTimeOffset ExpiresAt,
    OrleansSocial.Api.Media.MediaAttachmentResponse? Media, string? Caption)
{
    public static StoryQuoteResponse From(StoryQuote q)
    {
        ArgumentNullException.ThrowIfNull(q);
        return new(q.StoryId.ToString(), q.AuthorId.ToString(CultureInfo.InvariantCulture), q.Kind, q.Live, q.ExpiresAt,
            q.Media is { } media ? OrleansSocial.Api.Media.MediaAttachmentResponse.From(media, restricted: true) : null, q.Caption);
    }
}

/// <summary>Body of <c>POST /api/v1/conversations/{id}/members</c>.</summary>
public sealed record AddMembersRequest(string[]? AccountIds);

/// <summary>Body of <c>PATCH /api/v1/conversations/{id}</c>.</summary>
public sealed record RenameConversationRequest(string? Title);

/// <summary>One entry of your conversation list: <c>id</c> is its cursor (last activity).</summary>
public sealed record ConversationListItemResponse(string Id, ConversationResponse Conversation, MessageResponse? LastMessage, long UnreadCount);

/// <summary>Body of <c>PATCH /api/v1/conversations/{id}/messages/{messageId}</c>.</summary>
public sealed record EditMessageRequest([property: LongText] string? Text);

/// <summary>Body of <c>POST /api/v1/conversations/{id}/read</c>.</summary>
public sealed record MarkReadRequest(string? MessageId);

public sealed record ReadPointerResponse(string LastReadId);

public sealed record UnreadCountResponse(long Count);

/// <summary>An account's presence: online now, or when it was last seen (null: never).</summary>
public sealed record PresenceResponse(string AccountId, bool Online, DateTimeOffset? LastSeenAt);

/// <summary>Direct and group conversations and their messages.</summary>
public static class ConversationEndpoints
{
    public static RouteGroupBuilder MapConversationEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var conversations = api.MapGroup("/conversations").WithTags("Conversations").RequireAuthorization();
        conversations.MapPost("/", StartAsync).RequireVerifiedEmail().WithName("StartConversation")
            .WithSummary("With one participant: the direct conversation of you two (the same one every time). With several: a new group you administer.")
            .Produces<ConversationResponse>().Produces<ConversationResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapGet("/", (ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => grains.Reference<OrleansSocial.Users.IUserGrain>(user.AccountId()).GetConversationsAsync(page), c => c.Cursor,
                    c => new ConversationListItemResponse(c.Cursor.ToString(CultureInfo.InvariantCulture), ConversationResponse.From(c.Conversation),
                        c.LastMessage is null ? null : MessageResponse.From(c.LastMessage), c.Unread)))
            .WithName("Conversations").WithSummary("Your conversations, most recently active first, with the newest message and your unread count.")
            .Produces<ConversationListItemResponse[]>();
        conversations.MapGet("/unread_count", (ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<OrleansSocial.Users.IUserGrain>(user.AccountId()).GetUnreadMessagesAsync(),
                    n => TypedResults.Ok(new UnreadCountResponse(n))))
            .WithName("UnreadMessages").WithSummary("Messages from others you have not read, across your conversations.").Produces<UnreadCountResponse>();
        conversations.MapPost("/{id:guid}/read", (Guid id, MarkReadRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                long.TryParse(body.MessageId, NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                    ? GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(id).MarkReadAsync(user.AccountId(), seq),
                        p => TypedResults.Ok(new ReadPointerResponse(p.ToString(CultureInfo.InvariantCulture))))
                    : Task.FromResult(Invalid("message_id", "message_id is a message id of this conversation.")))
            .WithName("MarkConversationRead").WithSummary("You have read up to this message (pointers only move forward); the other members get a read event.")
            .Produces<ReadPointerResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapGet("/{id:guid}", (Guid id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(id).GetAsync(user.AccountId()), c => TypedResults.Ok(ConversationResponse.From(c))))
            .WithName("GetConversation").WithSummary("A conversation you are a member of (404 otherwise).")
            .Produces<ConversationResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapPatch("/{id:guid}", (Guid id, RenameConversationRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(id).RenameAsync(user.AccountId(), body.Title), c => TypedResults.Ok(ConversationResponse.From(c))))
            .WithName("RenameConversation").WithSummary("Sets a group's title (admins only; empty clears it); the members get conversation_updated.")
            .Produces<ConversationResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapPost("/{id:guid}/members", AddMembersAsync).WithName("AddConversationMembers")
            .WithSummary("Adds accounts to a group (admins only; each must accept messages from you); the members get conversation_updated.")
            .Produces<ConversationResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapDelete("/{id:guid}/members/{accountId:long}", (Guid id, long accountId, ClaimsPrincipal user, IGrainFactory grains) =>
                RemoveAsync(grains, id, user.AccountId(), accountId))
            .WithName("RemoveConversationMember")
            .WithSummary("Removes a member from a group (admins; anyone may remove themselves). The conversation is a 404 for them from then on.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapPost("/{id:guid}/leave", (Guid id, ClaimsPrincipal user, IGrainFactory grains) => RemoveAsync(grains, id, user.AccountId(), user.AccountId()))
            .WithName("LeaveConversation").WithSummary("You leave a group; if you were its last admin, its longest-standing member becomes admin.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapPost("/{id:guid}/messages", (Guid id, SendMessageRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                SendAsync(id, body, user, grains))
            .RequireVerifiedEmail().WithName("SendMessage").WithSummary("Sends a message; a retry with the same client_id returns the first message instead of sending a second.")
            .Produces<MessageResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapPatch("/{id:guid}/messages/{messageId:long}", (Guid id, long messageId, EditMessageRequest body, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(id).EditMessageAsync(user.AccountId(), messageId, body.Text ?? ""),
                    m => TypedResults.Ok(MessageResponse.From(m))))
            .WithName("EditMessage").WithSummary("Replaces the text of your message (edited_at is kept); the members get message_updated.")
            .Produces<MessageResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapDelete("/{id:guid}/messages/{messageId:long}", (Guid id, long messageId, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => { await grains.Reference<IConversationGrain>(id).DeleteMessageAsync(user.AccountId(), messageId).ConfigureAwait(false); return true; },
                    _ => TypedResults.NoContent()))
            .WithName("DeleteMessage").WithSummary("Deletes your message: its text goes, its place in the history stays; the members get message_deleted.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        conversations.MapGet("/{id:guid}/messages", (Guid id, ClaimsPrincipal user, IGrainFactory grains, HttpContext http) =>
                PageRequest.ServeAsync(http, page => grains.Reference<IConversationGrain>(id).GetMessagesAsync(user.AccountId(), page), m => m.Seq, MessageResponse.From))
            .WithName("ConversationMessages").WithSummary("The history, newest first (cursor pagination; ids are message numbers).")
            .Produces<MessageResponse[]>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/accounts/{id:long}/presence", (long id, ClaimsPrincipal user, IGrainFactory grains) =>
                GrainResults.RunAsync(async () => await grains.Reference<OrleansSocial.Users.IUserGrain>(id).GetPresenceAsync(user.AccountId()).ConfigureAwait(false)
                        ?? throw new KeyNotFoundException("No such account."),
                    p => TypedResults.Ok(new PresenceResponse(p.AccountId.ToString(CultureInfo.InvariantCulture), p.Online, p.LastSeenAt))))
            .RequireAuthorization().WithTags("Conversations").WithName("GetPresence")
            .WithSummary("Whether the account is online, or when it was last seen: only for accounts you share a conversation with (404 otherwise).")
            .Produces<PresenceResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> StartAsync(StartConversationRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!AccountIds.TryParse(body.ParticipantIds, out var ids, out _))
        {
            return Invalid("participant_ids", "participant_ids are account ids.");
        }

        var me = user.AccountId();
        var others = ids.Where(i => i != me).Distinct().ToArray();
        if (others.Length == 0)
        {
            return Invalid("participant_ids", "Name at least one other account.");
        }

        if (others.Length == 1 && body.Title is null)
        {
            return await GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(ConversationKinds.DirectId(me, others[0])).StartDirectAsync(me, others[0]),
                c => TypedResults.Ok(ConversationResponse.From(c)), "participant_ids").ConfigureAwait(false);
        }

        var group = Guid.CreateVersion7();
        return await GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(group).StartGroupAsync(me, others, body.Title),
            c => TypedResults.Created($"/api/v1/conversations/{c.Id}", ConversationResponse.From(c)), "participant_ids").ConfigureAwait(false);
    }

    private static Task<IResult> RemoveAsync(IGrainFactory grains, Guid id, long actor, long member) =>
        GrainResults.RunAsync(async () => { await grains.Reference<IConversationGrain>(id).RemoveMemberAsync(actor, member).ConfigureAwait(false); return true; },
            _ => TypedResults.NoContent());

    private static async Task<IResult> AddMembersAsync(Guid id, AddMembersRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!AccountIds.TryParse(body.AccountIds, out var ids, out _))
        {
            return Invalid("account_ids", "account_ids are account ids.");
        }

        if (ids.Length == 0)
        {
            return Invalid("account_ids", "Name at least one account to add.");
        }

        return await GrainResults.RunAsync(() => grains.Reference<IConversationGrain>(id).AddMembersAsync(user.AccountId(), ids),
            c => TypedResults.Ok(ConversationResponse.From(c)), "account_ids").ConfigureAwait(false);
    }

    private static async Task<IResult> SendAsync(Guid id, SendMessageRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        long? replyTo = null;
        if (body.ReplyTo is not null)
        {
            if (!long.TryParse(body.ReplyTo, NumberStyles.None, CultureInfo.InvariantCulture, out var r))
            {
                return Invalid("reply_to", "reply_to is a message id of this conversation.");
            }

            replyTo = r;
        }

        return await GrainResults.RunAsync(
            () => grains.Reference<IConversationGrain>(id).SendAsync(new NewMessage(user.AccountId(), body.ClientId ?? "", body.Text ?? "", replyTo)),
            m => TypedResults.Created($"/api/v1/conversations/{id}/messages", MessageResponse.From(m))).ConfigureAwait(false);
    }

    private static IResult Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is invalid.");
}
