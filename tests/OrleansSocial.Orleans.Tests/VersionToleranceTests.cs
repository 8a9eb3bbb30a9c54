using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace OrleansSocial.Orleans.Tests;

/// <summary>A grain's stored state as an earlier release wrote it.</summary>
[GenerateSerializer, Alias("test.CounterStateV1")]
public sealed class CounterStateV1
{
    [Id(0)]
    public long Likes { get; set; }

    [Id(1)]
    public string Owner { get; set; } = "";
}

/// <summary>The same state after a release added a member (with the next free id).</summary>
[GenerateSerializer, Alias("test.CounterStateV2")]
public sealed class CounterStateV2
{
    [Id(0)]
    public long Likes { get; set; }

    [Id(1)]
    public string Owner { get; set; } = "";

    [Id(2)]
    public long Reposts { get; set; } = -1;
}

/// <summary>
/// State is stored by Orleans' binary serializer (ADO.NET storage writes only the binary payload), keyed by member ids:
/// adding a member with a new id keeps every stored row readable, and a row written by the newer release stays readable
/// by the older one during a rolling upgrade.
/// </summary>
public sealed class VersionToleranceTests
{
    private static IGrainStorageSerializer StorageSerializer()
    {
        var services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(VersionToleranceTests).Assembly));
        services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        return services.BuildServiceProvider().GetRequiredService<IGrainStorageSerializer>();
    }

    [Fact]
    public void Stored_state_written_before_a_member_was_added_still_loads_with_the_new_member_at_its_default()
    {
        var serializer = StorageSerializer();
        var stored = serializer.Serialize(new CounterStateV1 { Likes = 42, Owner = "alice" });

        var loaded = serializer.Deserialize<CounterStateV2>(stored)!;

        Assert.Equal(42, loaded.Likes);
        Assert.Equal("alice", loaded.Owner);
        Assert.Equal(-1, loaded.Reposts);
    }

    [Fact]
    public void State_written_by_the_newer_release_still_loads_in_the_older_one_which_skips_the_member_it_does_not_know()
    {
        var serializer = StorageSerializer();
        var stored = serializer.Serialize(new CounterStateV2 { Likes = 7, Owner = "bob", Reposts = 3 });

        var loaded = serializer.Deserialize<CounterStateV1>(stored)!;

        Assert.Equal(7, loaded.Likes);
        Assert.Equal("bob", loaded.Owner);
    }
}
