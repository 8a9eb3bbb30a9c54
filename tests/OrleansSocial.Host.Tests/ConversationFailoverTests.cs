using Npgsql;
using OrleansSocial.Conversations;
using Orleans;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Host.Tests;

/// <summary>Conversations on a multi-silo TestCluster over PostgreSQL, with the silo hosting the conversation killed.</summary>
public sealed class ConversationFailoverTests
{
    [Fact]
    public async Task Every_acknowledged_message_is_stored_exactly_once_when_the_silo_hosting_the_conversation_is_killed_mid_conversation()
    {
        const int Messages = 60;
        var connectionString = PostgresServer.Instance.CreateDatabase("dmfailover");
        await using var cluster = await SocialCluster.StartAsync(connectionString, silos: 1);
        var accounts = await SocialCluster.CreateAccountsAsync(connectionString, 2);
        var (a, b) = (accounts[0], accounts[1]);
        var id = ConversationKinds.DirectId(a, b);
        await cluster.StartAdditionalSiloAsync();
        await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        var conversation = cluster.Client.GetGrain<IConversationGrain>(id);
        await conversation.StartDirectAsync(a, b);
        var host = await cluster.HostOfAsync(conversation);
        var survivor = cluster.Silos.First(s => s != host);

        // The two members chat through the survivor; a send that fails (its silo died under it) is retried with the
        // same client id, as a client does, until it is acknowledged.
        var acknowledged = new List<MessageView>();
        var killed = Task.CompletedTask;
        for (var i = 0; i < Messages; i++)
        {
            var message = new NewMessage(i % 2 == 0 ? a : b, $"m-{i}", $"message {i}", null);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    acknowledged.Add(await survivor.Grains().GetGrain<IConversationGrain>(id).SendAsync(message));
                    break;
                }
                catch (Exception) when (attempt < 50)
                {
                    await Task.Delay(200);
                }
            }

            if (i == Messages / 3)
            {
                killed = cluster.KillSiloAsync(host);
            }
        }

        await killed;
        Assert.False(host.IsActive);
        Assert.DoesNotContain(cluster.Silos, s => s == host);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var rows = db.CreateCommand("SELECT seq, client_id, text FROM messages WHERE conversation_id = $1 ORDER BY seq");
        rows.Parameters.Add(new NpgsqlParameter { Value = id });
        var stored = new List<(long Seq, string ClientId, string Text)>();
        await using (var r = await rows.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                stored.Add((r.GetInt64(0), r.GetString(1), r.GetString(2)));
            }
        }

        Assert.Equal(Messages, acknowledged.Count);
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"m-{i}"), stored.Select(s => s.ClientId));
        Assert.Equal(Enumerable.Range(1, Messages).Select(i => (long)i), stored.Select(s => s.Seq));
        Assert.Equal(acknowledged.Select(m => m.Seq), stored.Select(s => s.Seq));
        var history = await survivor.Grains().GetGrain<IConversationGrain>(id).GetMessagesAsync(a, new OrleansSocial.Users.PageQuery(100));
        Assert.Equal(Messages, history.Count);
        Assert.Equal($"message {Messages - 1}", history[0].Text);
    }
}
