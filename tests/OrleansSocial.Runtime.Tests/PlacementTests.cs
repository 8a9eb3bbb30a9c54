using System.Collections.Immutable;

namespace OrleansSocial.Runtime.Tests;

public sealed class PlacementTests
{
    private static readonly GrainId[] Ids =
    [
        new("post", Guid.NewGuid().ToString("N")), new("user", "42"), new("chat", "café-ü-日本"), new("tag", "x"),
    ];

    [Fact]
    public void A_grain_ids_placement_hash_is_the_hash_of_its_text_whether_ascii_or_not()
    {
        foreach (var id in Ids)
        {
            Assert.Equal(RendezvousPlacementDirector.StableHash(id.ToString()), RendezvousPlacementDirector.StableHash(id));
        }
    }

    [Fact]
    public void Every_silo_picks_the_owner_a_silo_scoring_the_texts_of_ids_and_silos_picks()
    {
        var silos = Enumerable.Range(0, 3).Select(i => new SiloAddress("10.0.0." + i, 11111, 1000 + i)).ToArray();
        var view = new MembershipView(7, silos.ToImmutableDictionary(s => s, _ => SiloStatus.Active));
        var director = new RendezvousPlacementDirector();
        var ids = Ids.Concat(Enumerable.Range(0, 300).Select(i => new GrainId("user", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        foreach (var id in ids)
        {
            var expected = view.ActiveSilos.MaxBy(s => RendezvousPlacementDirector.Mix(RendezvousPlacementDirector.StableHash(id.ToString()) ^ RendezvousPlacementDirector.StableHash(s.ToString())));
            Assert.Equal(expected, director.GetOwner(id, view));
        }

        Assert.Equal(3, ids.Select(id => director.GetOwner(id, view)).Distinct().Count());
    }
}
