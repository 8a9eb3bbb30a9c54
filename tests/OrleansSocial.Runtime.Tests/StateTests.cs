using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSocial.Runtime.Hosting;

namespace OrleansSocial.Runtime.Tests;

[Collection(ClusterCollection.Name)]
public sealed class StateTests(ClusterFixture fixture)
{
    private IGrainStorage Storage => fixture.Cluster.ServiceProvider.GetRequiredKeyedService<IGrainStorage>("Default");

    [Fact]
    public async Task Persistent_state_is_written_and_read_back_by_a_new_activation()
    {
        var key = "alice-" + Guid.NewGuid();
        var grain = fixture.Grains.GetGrain<IProfileGrain>(key);
        Assert.False(await grain.Exists());

        await grain.Rename("Alice");
        var stored = new GrainState<ProfileState>(new ProfileState());
        await Storage.ReadStateAsync("profile", grain.GetGrainId(), stored);

        Assert.True(await grain.Exists());
        Assert.Equal("Alice", stored.State.DisplayName);
        Assert.NotNull(stored.ETag);
    }

    [Fact]
    public async Task A_stale_etag_write_raises_InconsistentStateException_and_the_next_call_sees_fresh_state()
    {
        var grain = fixture.Grains.GetGrain<IProfileGrain>("bob-" + Guid.NewGuid());
        await grain.Rename("Bob");

        // Another writer (say, a second silo during a partition) changes the record behind the activation's back.
        var other = new GrainState<ProfileState>(new ProfileState());
        await Storage.ReadStateAsync("profile", grain.GetGrainId(), other);
        other.State.DisplayName = "Robert";
        other.State.Version = 10;
        await Storage.WriteStateAsync("profile", grain.GetGrainId(), other);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Rename("Bobby"));
        var fresh = await grain.Get();

        Assert.Equal("Robert", fresh.DisplayName);
        Assert.Equal(10, fresh.Version);
    }

    [Fact]
    public async Task Clearing_state_removes_the_record()
    {
        var grain = fixture.Grains.GetGrain<IProfileGrain>("carol-" + Guid.NewGuid());
        await grain.Rename("Carol");

        await grain.Clear();
        var stored = new GrainState<ProfileState>(new ProfileState());
        await Storage.ReadStateAsync("profile", grain.GetGrainId(), stored);

        Assert.False(await grain.Exists());
        Assert.False(stored.RecordExists);
        Assert.Equal("", (await grain.Get()).DisplayName);
    }

    [Fact]
    public async Task A_grain_reference_survives_a_json_round_trip_and_works_afterwards()
    {
        var counter = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());
        await counter.Increment();
        var options = fixture.Cluster.ServiceProvider.GetGrainJsonOptions();

        var json = JsonSerializer.Serialize(new ProfileState { DisplayName = "x", FavouriteCounter = counter }, options);
        var back = JsonSerializer.Deserialize<ProfileState>(json, options)!;

        Assert.Contains($"\"counter/{counter.GetPrimaryKey():N}\"", json, StringComparison.Ordinal);
        Assert.Equal(counter, back.FavouriteCounter);
        Assert.Equal(2, await back.FavouriteCounter!.Increment());
    }

    [Fact]
    public async Task A_grain_reference_kept_in_persistent_state_works_after_reactivation()
    {
        var counter = fixture.Grains.GetGrain<ICounterGrain>(Guid.NewGuid());
        var profile = fixture.Grains.GetGrain<IProfileGrain>("dave-" + Guid.NewGuid());
        await profile.SetFavourite(counter);

        // Force a reload from storage by making the next write conflict, which deactivates the activation.
        var other = new GrainState<ProfileState>(new ProfileState());
        await Storage.ReadStateAsync("profile", profile.GetGrainId(), other);
        await Storage.WriteStateAsync("profile", profile.GetGrainId(), other);
        await Assert.ThrowsAsync<InconsistentStateException>(() => profile.Rename("x"));

        Assert.Equal(1, await profile.IncrementFavourite());
        Assert.Equal(1, await counter.Peek());
    }

    [Fact]
    public async Task A_malformed_grain_id_in_json_is_a_json_error_not_a_crash()
    {
        var options = fixture.Cluster.ServiceProvider.GetGrainJsonOptions();

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ProfileState>("{\"favouriteCounter\":\"no-slash\"}", options));
        await Task.CompletedTask;
    }
}
