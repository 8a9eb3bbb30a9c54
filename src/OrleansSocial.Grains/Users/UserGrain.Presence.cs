using System.Globalization;
using System.Text.Json;
using OrleansSocial.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansSocial.Timelines;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>When an account was last seen online: the user grain's Orleans state <c>presence</c>, written when it goes offline.</summary>
[GenerateSerializer, Alias("social.PresenceState")]
public sealed class PresenceState
{
    [Id(0)] public DateTimeOffset? LastSeenAt { get; set; }
}

/// <summary>
/// Presence: the account's live SignalR connections, counted per front end from the front ends' reports and leases
/// (<see cref="PresenceLeases"/>), held in memory only. Going offline writes when it was last seen to the grain's state
/// (one write per time the account goes offline; accounts last seen before presence moved there are read once from
/// the <c>accounts.last_seen_at</c> column). The state is read from grain storage when it is first needed, not at every
/// activation: a user grain activates for every post view of its author, and most never show presence. While any front end is
/// reported, a timer expires leases (and keeps the activation alive); front ends repeat their reports well within the
/// lease, so a grain that moved to another silo is told its connections again within one renewal.
/// </summary>
public sealed partial class UserGrain
{
    private static readonly TimeSpan MaxPresenceCheck = TimeSpan.FromSeconds(5);
    public const string PresenceStateName = "presence";
    private GrainState<PresenceState>? _presence;
    private readonly PresenceLeases _leases = new();
    private bool _online;
    private DateTimeOffset? _lastSeen;
    private bool _lastSeenLoaded;
    private IGrainTimer? _presenceTimer;
    private TimeSpan _presencePeriod = MaxPresenceCheck;

    public async Task ReportConnectionsAsync(ConnectionReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _ = _profile ?? throw new KeyNotFoundException("No such account.");
        var now = time.GetUtcNow();
        _leases.Report(report.FrontEnd, report.Count, report.Version, now + report.Lease);

        // Checked at least twice per lease, so a dead front end's connections go within 1.5 leases at most.
        var period = TimeSpan.FromTicks(Math.Clamp(report.Lease.Ticks / 2, TimeSpan.FromMilliseconds(200).Ticks, MaxPresenceCheck.Ticks));
        if (_presenceTimer is null || period < _presencePeriod)
        {
            _presenceTimer?.Dispose();
            _presencePeriod = period;
            _presenceTimer = this.RegisterGrainTimer(_ => UpdatePresenceAsync(), new GrainTimerCreationOptions(period, period) { KeepAlive = true });
        }

        await UpdatePresenceAsync();

        // Said again at every report (renewals come every few seconds), so a directory partition that restarted empty
        // learns it within one renewal. Awaited: the front end sends `ready` only after this, and fan-out from then on
        // sees the account as live.
        if (_online)
        {
            await IAudienceDirectoryGrain.For(GrainFactory, this.GetPrimaryKeyLong()).SetLiveAsync(this.GetPrimaryKeyLong(), live: true);
        }
    }

    public async Task<Presence?> GetPresenceAsync(long viewerId)
    {
        var id = this.GetPrimaryKeyLong();
        if (_profile is null || viewerId != id && ((await RelationToAsync(viewerId)).BlockedEitherWay || !await conversations.ShareAsync(id, viewerId)))
        {
            return null;
        }

        // A lease that ran out since the last check ends now, with its last_seen and event, before answering.
        await UpdatePresenceAsync();
        return new Presence(id, _online, await LastSeenAsync());
    }

    private async Task<DateTimeOffset?> LastSeenAsync()
    {
        if (!_lastSeenLoaded)
        {
            var presence = await PresenceStateAsync();
            _lastSeen = presence.RecordExists ? presence.State?.LastSeenAt : await store.LastSeenAsync(this.GetPrimaryKeyLong());
            _lastSeenLoaded = true;
        }

        return _lastSeen;
    }

    private IGrainStorage PresenceStorage => ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);

    private async Task<GrainState<PresenceState>> PresenceStateAsync()
    {
        if (_presence is null)
        {
            var read = new GrainState<PresenceState>(new PresenceState());
            await PresenceStorage.ReadStateAsync(PresenceStateName, this.GetGrainId(), read);
            _presence = read;
        }

        return _presence;
    }

    // Version-checked like any grain state; a conflict (another activation wrote) re-reads and writes once more: the
    // newest going-offline time is the one to keep.
    private async Task WriteLastSeenAsync(DateTimeOffset at)
    {
        var presence = await PresenceStateAsync();
        (presence.State ??= new PresenceState()).LastSeenAt = at;
        try
        {
            await PresenceStorage.WriteStateAsync(PresenceStateName, this.GetGrainId(), presence);
        }
        catch (InconsistentStateException)
        {
            _presence = null;
            presence = await PresenceStateAsync();
            (presence.State ??= new PresenceState()).LastSeenAt = at;
            await PresenceStorage.WriteStateAsync(PresenceStateName, this.GetGrainId(), presence);
        }
    }

    private async Task UpdatePresenceAsync()
    {
        var now = time.GetUtcNow();
        _leases.Expire(now);
        if (!_leases.Any)
        {
            _presenceTimer?.Dispose();
            _presenceTimer = null;
            _presencePeriod = MaxPresenceCheck;
        }

        var online = _leases.IsOnline(now);
        if (online == _online)
        {
            return;
        }

        _online = online;
        var id = this.GetPrimaryKeyLong();
        if (!online)
        {
            await IAudienceDirectoryGrain.For(GrainFactory, id).SetLiveAsync(id, live: false);
            await WriteLastSeenAsync(now);
            (_lastSeen, _lastSeenLoaded) = (now, true);
        }

        // To everyone sharing a conversation with the account, except across a block.
        var partners = await conversations.PartnersAsync(id);
        await EnsureRelationsAsync();
        var e = UserEvents.Create(UserEventNames.Presence, new PresenceEvent(id.ToString(CultureInfo.InvariantCulture), online, online ? await LastSeenAsync() : now));
        await UserEvents.PublishAsync(ServiceProvider, partners.Where(p => !_relations.Get(p, now).BlockedEitherWay), e);
    }
}

/// <summary>The payload of <c>presence</c>: a conversation partner is online, or went offline (last seen then).</summary>
public sealed record PresenceEvent(string AccountId, bool Online, DateTimeOffset? LastSeenAt);
