using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansSocial.Conversations;
using OrleansSocial.Posts;
using OrleansSocial.TestInfrastructure;
using OrleansSocial.Users;

namespace OrleansSocial.Host.Tests;

public interface ILedgerGrain : IGrainWithIntegerKey
{
    /// <summary>Records an operation once: a retried operation id is acknowledged without applying it again.</summary>
    Task ApplyAsync(long operation);

    Task<long[]> OperationsAsync();
}

[GenerateSerializer, Alias("test.LedgerState")]
public sealed class LedgerState
{
    [Id(0)]
    public List<long> Operations { get; set; } = [];
}

/// <summary>Grain state written version-checked through Orleans' ADO.NET storage on the project's schema.</summary>
public sealed class LedgerGrain([PersistentState("ledger")] IPersistentState<LedgerState> ledger) : Grain, ILedgerGrain
{
    public async Task ApplyAsync(long operation)
    {
        if (ledger.State.Operations.Contains(operation))
        {
            return;
        }

        ledger.State.Operations.Add(operation);
        try
        {
            await ledger.WriteStateAsync();
        }
        catch
        {
            ledger.State.Operations.Remove(operation);
            throw;
        }
    }

    public Task<long[]> OperationsAsync() => Task.FromResult(ledger.State.Operations.ToArray());
}

/// <summary>
/// One of three silos is killed (no graceful stop: its grains' memory is gone, its peers must find out) while traffic
/// runs through the other two, as front ends would retry it.
/// </summary>
public sealed class SiloKillTests
{
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 100 && e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or InconsistentStateException)
            {
                await Task.Delay(100);
            }
        }
    }

    private static Task RetryAsync(Func<Task> call) => RetryAsync(async () => { await call(); return true; });

    [Fact]
    public async Task Likes_follows_and_messages_acknowledged_while_a_silo_is_killed_are_stored_exactly_once_and_every_grain_answers_again()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("kill3");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 3);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 40);
        var (author, fans) = (accounts[0], accounts[1..]);
        var posts = new Guid[10];
        for (var i = 0; i < posts.Length; i++)
        {
            posts[i] = Guid.CreateVersion7();
            await cluster.Client.GetGrain<IPostGrain>(posts[i]).CreateAsync(new NewPost(author, $"post {i}", PostVisibility.Public, null, null));
        }

        var conversations = fans.Take(10).Select(f => (Id: ConversationKinds.DirectId(author, f), Fan: f)).ToArray();
        foreach (var (id, fan) in conversations)
        {
            await cluster.Client.GetGrain<IConversationGrain>(id).StartDirectAsync(author, fan);
        }

        // The silo to kill is the one holding the most of these posts and conversations; the calls start on the two that
        // live (as front ends of those silos would make them).
        var hosts = new List<SiloAddress>();
        foreach (var grain in posts.Select(p => (IAddressable)cluster.Client.GetGrain<IPostGrain>(p))
                     .Concat(conversations.Select(c => cluster.Client.GetGrain<IConversationGrain>(c.Id))))
        {
            hosts.Add((await cluster.HostOfAsync(grain)).SiloAddress);
        }

        var victim = cluster.Silos.MaxBy(s => hosts.Count(h => h.Equals(s.SiloAddress)))!;
        Assert.Contains(victim.SiloAddress, hosts);
        var survivors = cluster.Silos.Where(s => s != victim).Select(s => s.Grains()).ToArray();
        var likes = new ConcurrentBag<(Guid Post, long Fan)>();
        var follows = new ConcurrentBag<long>();
        var messages = new ConcurrentBag<(Guid Conversation, string ClientId, long Seq)>();
        var work = new List<Task>();
        for (var f = 0; f < fans.Length; f++)
        {
            var (fan, grains) = (fans[f], survivors[f % 2]);
            work.Add(Task.Run(async () =>
            {
                foreach (var post in posts)
                {
                    await RetryAsync(() => grains.GetGrain<IPostGrain>(post).LikeAsync(fan));
                    likes.Add((post, fan));
                }

                await RetryAsync(() => grains.GetGrain<IUserGrain>(fan).FollowAsync(author));
                follows.Add(fan);
            }));
        }

        foreach (var (id, fan) in conversations)
        {
            var grains = survivors[(int)(fan % 2)];
            work.Add(Task.Run(async () =>
            {
                for (var m = 0; m < 20; m++)
                {
                    var clientId = $"m-{fan}-{m}";
                    var sent = await RetryAsync(() => grains.GetGrain<IConversationGrain>(id).SendAsync(new NewMessage(m % 2 == 0 ? fan : author, clientId, $"message {m}", null)));
                    messages.Add((id, clientId, sent.Seq));
                }
            }));
        }

        await Task.Delay(300);
        await cluster.KillSiloAsync(victim);
        await Task.WhenAll(work);

        await using var db = NpgsqlDataSource.Create(connectionString);
        async Task<long> CountAsync(string sql, params object[] values)
        {
            await using var command = db.CreateCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            return (long)(await command.ExecuteScalarAsync())!;
        }

        Assert.Equal(fans.Length * posts.Length, likes.Count);
        Assert.Equal(likes.Count, await CountAsync("SELECT count(*) FROM likes"));
        Assert.Equal(("follows rows", (long)fans.Length), ("follows rows", await CountAsync("SELECT count(*) FROM follows WHERE followee_id = $1", author)));
        Assert.Equal(conversations.Length * 20, messages.Count);
        Assert.Equal(messages.Count, await CountAsync("SELECT count(*) FROM messages"));
        Assert.Equal(messages.Count, messages.Select(m => (m.Conversation, m.Seq)).Distinct().Count());

        // Every grain answers again, wherever it lives now, with what was acknowledged.
        var likesCounted = new List<(Guid Post, long Likes)>();
        foreach (var post in posts)
        {
            var view = await RetryAsync(() => survivors[0].GetGrain<IPostGrain>(post).GetAsync(author));
            likesCounted.Add((post, view!.Counts.Likes));
        }

        Assert.Equal(posts.Select(p => (p, (long)fans.Length)), likesCounted);
        var counts = await RetryAsync(() => survivors[1].GetGrain<IUserGrain>(author).GetAccountAsync(author));
        Assert.Equal(("followers", (long)fans.Length), ("followers", counts!.FollowersCount));
        foreach (var (id, fan) in conversations)
        {
            var history = await RetryAsync(() => survivors[0].GetGrain<IConversationGrain>(id).GetMessagesAsync(fan, new PageQuery(40)));
            Assert.Equal(20, history.Count);
        }
    }

    [Fact]
    public async Task Grain_state_written_from_two_silos_while_one_is_killed_loses_no_acknowledged_update_and_applies_none_twice()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("ledger");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 3);

        // Ten ledgers, activated; the silo holding most of them is the one to kill, the other two write.
        var hosts = new List<SiloAddress>();
        for (var key = 0; key < 10; key++)
        {
            var ledger = cluster.Client.GetGrain<ILedgerGrain>(key);
            await ledger.ApplyAsync(-1 - key);
            hosts.Add((await cluster.HostOfAsync(ledger)).SiloAddress);
        }

        var victim = cluster.Silos.MaxBy(s => hosts.Count(h => h.Equals(s.SiloAddress)))!;
        var writers = cluster.Silos.Where(s => s != victim).Select(s => s.Grains()).ToArray();
        var acknowledged = new ConcurrentBag<long>();
        var next = 0L;
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var operation = Interlocked.Increment(ref next);
                await RetryAsync(() => writers[w % 2].GetGrain<ILedgerGrain>(operation % 10).ApplyAsync(operation));
                acknowledged.Add(operation);
            }
        })).ToArray();

        await Task.Delay(1000);
        await cluster.KillSiloAsync(victim);
        await Task.Delay(1500);
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var stored = new List<long>();
        for (var key = 0; key < 10; key++)
        {
            stored.AddRange(await RetryAsync(() => writers[0].GetGrain<ILedgerGrain>(key).OperationsAsync()));
        }

        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes were acknowledged");
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Empty(acknowledged.Except(stored));
    }

    [Fact]
    public async Task A_posts_and_an_accounts_hot_counters_survive_the_deactivation_of_their_grains()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("hot");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 2);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 6);
        var (author, fans) = (accounts[0], accounts[1..]);
        var post = cluster.Client.GetGrain<IPostGrain>(Guid.CreateVersion7());
        await post.CreateAsync(new NewPost(author, "count me", PostVisibility.Public, null, null));
        foreach (var fan in fans)
        {
            await post.LikeAsync(fan);
            await cluster.Client.GetGrain<IUserGrain>(fan).FollowAsync(author);
        }

        await post.RepostAsync(fans[0]);
        var user = cluster.Client.GetGrain<IUserGrain>(author);
        await cluster.DeactivateAsync(post);
        await cluster.DeactivateAsync(user);

        var view = await post.GetAsync(author);
        var account = await user.GetAccountAsync(author);
        Assert.Equal((fans.Length, 1L), (view!.Counts.Likes, view.Counts.Reposts));
        Assert.Equal((fans.Length, 1L), (account!.FollowersCount, account.PostsCount));
    }
}
