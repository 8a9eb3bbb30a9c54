using Npgsql;
using OrleansSocial.Conversations;
using OrleansSocial.Grains.Conversations;
using OrleansSocial.Grains.Storage;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>The group commit of messages, against PostgreSQL.</summary>
public sealed class MessageWriterTests
{
    // A migrated database of its own with two accounts.
    private static async Task<(NpgsqlDataSource Db, long[] Accounts)> NewDatabaseAsync(string name)
    {
        var connectionString = PostgresServer.Instance.CreateDatabase(name);
        var db = NpgsqlDataSource.Create(connectionString);
        await new PostgresMigrator(db, PostgresMigrator.Embedded).MigrateAsync();
        return (db, await SocialCluster.CreateAccountsAsync(connectionString, 2));
    }

    [Fact]
    public async Task Concurrent_sends_to_many_conversations_are_numbered_per_conversation_and_a_repeated_client_id_returns_the_first()
    {
        var (db, accounts) = await NewDatabaseAsync("msgwriter");
        await using var _ = db;
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
    [Fact]
    public async Task A_send_that_waits_on_another_silos_uncommitted_write_of_the_same_client_id_returns_that_message()
    {
        var (db, accounts) = await NewDatabaseAsync("msgrace");
        await using var _ = db;
        var conversation = Guid.CreateVersion7();
        await new ConversationStore(db).CreateAsync(conversation, ConversationKinds.Direct, null, accounts[0], accounts);

        // During a failover two activations of one conversation, on two silos, may each send a client's retry. The other
        // silo's write is in flight (its transaction holds the conversation's row) when this silo's starts.
        await using var other = await db.OpenConnectionAsync();
        await using var tx = await other.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            WITH next AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
            INSERT INTO messages (conversation_id, seq, sender_id, client_id, text, created_at)
            SELECT $1, last_seq, $2, 'retry', 'hello', now() FROM next
            """, other, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = conversation });
            insert.Parameters.Add(new NpgsqlParameter { Value = accounts[0] });
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        await using var writer = new MessageWriter(db);
        var send = writer.SendAsync(conversation, new NewMessage(accounts[0], "retry", "hello", null), DateTimeOffset.UtcNow);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(send.IsCompleted, "the send should wait for the other silo's transaction");
        await tx.CommitAsync();

        var (message, created) = await send;
        Assert.False(created);
        Assert.Equal(1, message.Seq);
        Assert.Equal("hello", message.Text);
        await using var count = db.CreateCommand("SELECT count(*)::int, max(c.last_seq)::int FROM messages JOIN conversations c ON c.id = conversation_id");
        await using var r = await count.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((1, 1), (r.GetInt32(0), r.GetInt32(1)));
    }
}
