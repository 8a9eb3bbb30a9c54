using System.Security.Cryptography;
using System.Text;
using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Users;

namespace OrleansSocial.Conversations;

public static class ConversationKinds
{
    public const string Direct = "direct";
    public const string Group = "group";

    /// <summary>How long a typing signal lasts without another.</summary>
    public static readonly TimeSpan TypingExpiry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The id of the one direct conversation of two accounts, the same whichever of them asks: both reach the same grain,
    /// which creates it once.
    /// </summary>
    public static Guid DirectId(long a, long b)
    {
        var (low, high) = a < b ? (a, b) : (b, a);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"direct:{low}:{high}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom), RFC 9562
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

[GenerateSerializer, Immutable, Alias("social.MemberView")]
public sealed record MemberView([property: Id(0)] PublicAccount Account, [property: Id(1)] string Role, [property: Id(2)] long ReadSeq);

/// <summary>A conversation as one of its members sees it.</summary>
[GenerateSerializer, Immutable, Alias("social.ConversationView")]
public sealed record ConversationView([property: Id(0)] Guid Id, [property: Id(1)] string Kind, [property: Id(2)] string? Title, [property: Id(3)] IReadOnlyList<MemberView> Members, [property: Id(4)] long LastSeq, [property: Id(5)] DateTimeOffset CreatedAt);

/// <summary>
/// A message; a deleted one keeps its place (seq) and loses its text. <see cref="ReadBy"/>: the other members whose read
/// pointer is at or past it. <see cref="ReadAt"/> (direct conversations): when the recipient's pointer first passed it.
/// </summary>
[GenerateSerializer, Immutable, Alias("social.MessageView")]
public sealed record MessageView([property: Id(0)] Guid ConversationId, [property: Id(1)] long Seq, [property: Id(2)] long SenderId, [property: Id(3)] string ClientId, [property: Id(4)] string? Text, [property: Id(5)] long? ReplyTo, [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? EditedAt, [property: Id(8)] bool Deleted, [property: Id(9)] IReadOnlyList<long>? ReadBy = null)
{
    [Id(10)]
    public DateTimeOffset? ReadAt { get; init; }

    /// <summary>The story this message replies or reacts to, when it does (null for a deleted message).</summary>
    [Id(11)]
    public StoryQuote? Story { get; init; }
}

/// <summary>
/// The story a message is about: which story of which account, how (<see cref="StoryQuoteKinds"/>), and — while the
/// story is live — its media and caption. After the story ends the quote stays, without them.
/// </summary>
/// <summary>How a message is about a story.</summary>
public static class StoryQuoteKinds
{
    /// <summary>A viewer's reply to the author.</summary>
    public const string Reply = "reply";

    /// <summary>A viewer's reaction (one emoji) to the author.</summary>
    public const string Reaction = "reaction";

    /// <summary>The author mentioned the recipient in the story's caption.</summary>
    public const string Mention = "mention";
}

[GenerateSerializer, Immutable, Alias("social.StoryQuote")]
public sealed record StoryQuote([property: Id(0)] Guid StoryId, [property: Id(1)] long AuthorId, [property: Id(2)] string Kind, [property: Id(3)] bool Live,
    [property: Id(4)] DateTimeOffset ExpiresAt, [property: Id(5)] OrleansSocial.Media.MediaAttachment? Media, [property: Id(6)] string? Caption);

/// <summary>One of a member's conversations in their list: the conversation, its newest message and how many they have not read.</summary>
[GenerateSerializer, Immutable, Alias("social.ConversationSummary")]
public sealed record ConversationSummary([property: Id(0)] long Cursor, [property: Id(1)] ConversationView Conversation, [property: Id(2)] MessageView? LastMessage, [property: Id(3)] long Unread);

/// <summary>A message to send. <see cref="ClientId"/> (chosen by the client) makes a retried send return the first message.</summary>
[GenerateSerializer, Immutable, Alias("social.NewMessage")]
public sealed record NewMessage([property: Id(0)] long SenderId, [property: Id(1)] string ClientId, [property: Id(2)] string Text, [property: Id(3)] long? ReplyTo)
{
    /// <summary>The story the message replies to (set by the story's grain, never by a client directly).</summary>
    [Id(4)]
    public Guid? StoryId { get; init; }

    /// <summary>How the message is about <see cref="StoryId"/> (<see cref="StoryQuoteKinds"/>).</summary>
    [Id(5)]
    public string? StoryKind { get; init; }
}

/// <summary>Settings of direct messages (section <c>Conversations</c>).</summary>
public sealed class ConversationOptions
{
    /// <summary>Most members of a group, its creator included. Default 250.</summary>
    public int MaxGroupMembers { get; set; } = 250;

    /// <summary>Longest message text. Default 4,000.</summary>
    public int MaxMessageLength { get; set; } = 4_000;

    /// <summary>A message's text: 1 to <see cref="MaxMessageLength"/> characters (<see cref="ArgumentException"/> naming <c>text</c>).</summary>
    public void RequireText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxMessageLength)
        {
            throw new ArgumentException($"A message has 1 to {MaxMessageLength} characters.", "text");
        }
    }
}

/// <summary>
/// One per conversation (key: its id; a direct conversation's is <see cref="ConversationKinds.DirectId"/>). Holds the
/// members and the last message number hot; messages are rows. Anyone who is not a member gets
/// <see cref="KeyNotFoundException"/>: a conversation's existence does not leak.
/// </summary>
[Alias("social.IConversationGrain")]
public interface IConversationGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Starts (or returns) the direct conversation of <paramref name="starter"/> and <paramref name="other"/>; this grain's
    /// key must be their <see cref="ConversationKinds.DirectId"/>. A block either way refuses it
    /// (<see cref="OrleansSocial.Posts.ActionRefusedException"/>).
    /// </summary>
    Task<ConversationView> StartDirectAsync(long starter, long other);

    /// <summary>
    /// Starts a group with its creator as admin; <see cref="ArgumentException"/> names a bad field. Accounts a block stands
    /// between (either way) are never put in one group (<see cref="OrleansSocial.Posts.ActionRefusedException"/>, naming no one).
    /// </summary>
    Task<ConversationView> StartGroupAsync(long creator, long[] members, string? title);

    [ReadOnly]
    Task<ConversationView> GetAsync(long viewerId);

    /// <summary>Sends a message (members only); a retry with the same client id returns the first message.</summary>
    Task<MessageView> SendAsync(NewMessage message);

    /// <summary>
    /// History, newest first (cursor: the message number), each message with who has read it: only messages sent since the
    /// viewer joined, and none from (nor receipts of) members a block stands between them and the viewer.
    /// </summary>
    [ReadOnly]
    Task<IReadOnlyList<MessageView>> GetMessagesAsync(long viewerId, PageQuery page);

    /// <summary>
    /// Moves the member's read pointer to <paramref name="seq"/> (never back; at most to the newest message) and tells the
    /// other members (<c>read</c>); returns the pointer.
    /// </summary>
    Task<long> MarkReadAsync(long memberId, long seq);

    /// <summary>
    /// The member is typing: the others get <c>typing</c>, and <c>typing_stopped</c> once no signal came for
    /// <see cref="ConversationKinds.TypingExpiry"/> (or the member sent a message). Held in memory only.
    /// </summary>
    Task TypingAsync(long memberId);

    /// <summary>
    /// Replaces the text of the member's own message (it keeps <c>edited_at</c>); <see cref="OrleansSocial.Posts.ActionRefusedException"/>
    /// for someone else's, <see cref="KeyNotFoundException"/> for no such (or a deleted) message.
    /// </summary>
    Task<MessageView> EditMessageAsync(long memberId, long seq, string text);

    /// <summary>Deletes the member's own message: its text goes, its place stays (a tombstone). Deleting it again changes nothing.</summary>
    Task DeleteMessageAsync(long memberId, long seq);

    /// <summary>
    /// An admin adds accounts to a group (each must accept messages from the admin, as when a group starts; the group's
    /// size limit holds; none may have a block either way with a member). Members already in it are left as they are; new
    /// ones see the messages sent from then on. Everyone gets <c>conversation_updated</c>.
    /// </summary>
    Task<ConversationView> AddMembersAsync(long adminId, long[] accounts);

    /// <summary>
    /// An admin removes a member, or a member removes themselves (leaving). From then on the conversation is a 404 for
    /// them: no new messages, no events. If the last admin leaves, the longest-standing member becomes admin.
    /// </summary>
    Task RemoveMemberAsync(long actorId, long memberId);

    /// <summary>An admin sets the group's title (empty: none); everyone gets <c>conversation_updated</c>.</summary>
    Task<ConversationView> RenameAsync(long adminId, string? title);
}
