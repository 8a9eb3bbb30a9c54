using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Orleans.Streams;
using OrleansSocial.Conversations;
using OrleansSocial.Realtime;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>A stream whose every operation fails, as when the silo holding its queue is unreachable.</summary>
public class UnreachableStream : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw new SiloUnavailableException("The stream's queue is unreachable (test).");
}

/// <summary>The events provider of a silo whose streams cannot be reached.</summary>
public sealed class UnreachableStreams : IStreamProvider
{
    public string Name => UserEvents.Provider;

    public bool IsRewindable => false;

    public IAsyncStream<T> GetStream<T>(StreamId streamId) => DispatchProxy.Create<IAsyncStream<T>, UnreachableStream>();
}

/// <summary>A change that was stored is acknowledged even when the live event announcing it cannot be published.</summary>
public sealed class UnpublishableEventTests
{
    [Fact]
    public async Task A_message_stored_while_its_live_event_cannot_be_published_is_acknowledged_once_and_a_retry_returns_it()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("unpublishable");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1,
            silo => silo.Services.AddKeyedSingleton<IStreamProvider>(UserEvents.Provider, new UnreachableStreams()));
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 2);
        var id = ConversationKinds.DirectId(accounts[0], accounts[1]);
        var conversation = cluster.Client.GetGrain<IConversationGrain>(id);
        await conversation.StartDirectAsync(accounts[0], accounts[1]);

        var sent = await conversation.SendAsync(new NewMessage(accounts[0], "c-1", "stored, not announced", null));
        var retried = await conversation.SendAsync(new NewMessage(accounts[0], "c-1", "stored, not announced", null));

        Assert.Equal(sent.Seq, retried.Seq);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var count = db.CreateCommand("SELECT count(*) FROM messages WHERE conversation_id = $1 AND client_id = 'c-1'");
        count.Parameters.Add(new NpgsqlParameter { Value = id });
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
    }
}
