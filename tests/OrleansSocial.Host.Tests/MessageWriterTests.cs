using Npgsql;
using OrleansSocial.Conversations;
using OrleansSocial.Grains.Conversations;
using OrleansSocial.Grains.Storage;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The group commit of messages, against PostgreSQL.</summary>
public sealed class MessageWriterTests
{
    [Fact]
    public async Task Concurrent_sends_to_many_conversations_are_numbered_per_conversation_and_a_repeated_client_id_returns_the_first()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("msgwriter");
        await using var db = NpgsqlDataSource.Create(connectionString);
        await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 2);
        var store = new ConversationStore(db);
        var conversations = Enumerable.Range(0, 20).Select(_ => Guid.CreateVersion7()).ToArray();
        foreach (var id in conversations)
        {
            await store.CreateAsync(id, ConversationKinds.Group, null, accounts[0], accounts);
        }

        await using var writer = new MessageWriter(db);
        var now = DateTimeOffset.UtcNow;

        // Ten rounds; in each, every conversation gets one new message and one repeat of the previous round's — sent at
        // once, so batches mix conversations and sometimes hold two sends of one (written one by one then).
        var firsts = new Dictionary<(Guid, int), MessageView>();
        for (var round = 0; round < 10; round++)
        {
            var sends = conversations.SelectMany(id => new[] { (id, round) }.Concat(round > 0 ? [(id, round - 1)] : []))
                .Select(async s => (s, await writer.SendAsync(s.Item1, new NewMessage(accounts[s.Item2 % 2], $"c-{s.Item2}", $"text {s.Item2}", null), now)))
                .ToArray();
            foreach (var ((id, n), (message, created)) in await Task.WhenAll(sends))
            {
                if (created)
                {
                    Assert.True(firsts.TryAdd((id, n), message), $"message {n} of {id} was created twice");
                }
                else
                {
                    Assert.Equal(firsts[(id, n)].Seq, message.Seq);
                }
            }
        }

        await using var rows = db.CreateCommand("SELECT conversation_id, array_agg(seq ORDER BY seq), count(DISTINCT client_id) FROM messages GROUP BY conversation_id");
        await using var r = await rows.ExecuteReaderAsync();
        var seen = 0;
        while (await r.ReadAsync())
        {
            seen++;
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), r.GetFieldValue<long[]>(1));
            Assert.Equal(10, r.GetInt64(2));
        }

        Assert.Equal(conversations.Length, seen);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => writer.SendAsync(Guid.NewGuid(), new NewMessage(accounts[0], "x", "nowhere", null), now));
    }
}
