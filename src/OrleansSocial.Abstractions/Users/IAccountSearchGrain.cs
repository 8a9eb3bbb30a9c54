using Orleans;

namespace OrleansSocial.Users;

/// <summary>
/// Finds accounts by username or display name: prefix matches first, then fuzzy (trigram) matches by similarity.
/// Accounts that block the viewer or that the viewer blocks are never returned. A stateless worker: use key 0.
/// </summary>
[Alias("social.IAccountSearchGrain")]
public interface IAccountSearchGrain : IGrainWithIntegerKey
{
    Task<IReadOnlyList<PublicAccount>> SearchAsync(long viewerId, string query, int limit, int offset);
}
