using System.Text.Json;
using OrleansSocial.Realtime;
using OrleansSocial.Runtime;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// An account's hot state. The profile is read from its row when the grain activates, served from memory, and
/// written back with a version check; a conflicting write means another activation or process changed the row, so
/// the grain re-reads it and the caller gets <see cref="InconsistentStateException"/> to retry.
/// </summary>
public sealed class UserGrain(UserProfileStore store) : Grain, IUserGrain
{
    private static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private UserProfile? _profile;
    private long _version;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken).ConfigureAwait(false);

    public Task<UserProfile?> GetProfileAsync() => Task.FromResult(_profile);

    public async Task<UserProfile> UpdateProfileAsync(ProfileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var current = _profile ?? throw new KeyNotFoundException($"Account {this.GetPrimaryKeyLong()} does not exist.");
        var errors = ProfileRules.Validate(update);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors.Keys.First());
        }

        var next = ProfileRules.Apply(current, update);
        if (next == current)
        {
            return current;
        }

        if (await store.UpdateAsync(next, _version, CancellationToken.None).ConfigureAwait(false) is not { } version)
        {
            await LoadAsync(CancellationToken.None).ConfigureAwait(false);
            throw new InconsistentStateException($"The profile of account {current.Id} was changed elsewhere; it has been re-read, try again.");
        }

        (_profile, _version) = (next, version);
        await PublishAsync(next).ConfigureAwait(false);
        return next;
    }

    public async Task<UserProfile?> ReloadAsync()
    {
        var before = _profile;
        await LoadAsync(CancellationToken.None).ConfigureAwait(false);
        if (_profile is not null && _profile != before)
        {
            await PublishAsync(_profile).ConfigureAwait(false);
        }

        return _profile;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var row = await store.GetAsync(this.GetPrimaryKeyLong(), ct).ConfigureAwait(false);
        (_profile, _version) = row is { } r ? (r.Profile, r.Version) : (null, 0);
    }

    // At-most-once, like every stream event: a lost event costs a client nothing it cannot re-read from /accounts/me.
    private Task PublishAsync(UserProfile profile) =>
        UserEvents.For(ServiceProvider, profile.Id).OnNextAsync(new UserEvent(UserEventNames.AccountUpdated, JsonSerializer.SerializeToElement(profile, EventJson)));
}
