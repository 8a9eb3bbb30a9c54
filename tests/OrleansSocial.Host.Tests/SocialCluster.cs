using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using Orleans.Streams;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansSocial.Grains;

namespace OrleansSocial.Host.Tests;

/// <summary>The real grains on a multi-silo Orleans test cluster (in this process) over a PostgreSQL database of their own.</summary>
internal static class SocialCluster
{
    public static async Task<InProcessTestCluster> StartAsync(string connectionString, short silos, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) =>
        {
            configure?.Invoke(silo);
            silo.AddSocialGrains(connectionString);
        });
        builder.ConfigureClient(client => client.AddSocialStreams());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Grain references whose calls start on <paramref name="silo"/>.</summary>
    public static IGrainFactory Grains(this InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>The silo holding the grain's activation (activating it if it has none).</summary>
    public static async Task<InProcessSiloHandle> HostOfAsync(this InProcessTestCluster cluster, IAddressable grain)
    {
        var address = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return cluster.Silos.Single(s => s.SiloAddress.Equals(address));
    }

    /// <summary>Accounts inserted directly (no sign-up needed for grain-level tests).</summary>
    public static async Task<long[]> CreateAccountsAsync(string connectionString, int count)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var batch = Guid.NewGuid().ToString("N")[..8];
        var ids = new long[count];
        for (var i = 0; i < count; i++)
        {
            await using var insert = db.CreateCommand("INSERT INTO accounts (username, email, password_hash) VALUES ($1, $1 || '@example.org', 'x') RETURNING id");
            insert.Parameters.Add(new NpgsqlParameter { Value = $"f{batch}_{i}" });
            ids[i] = (long)(await insert.ExecuteScalarAsync())!;
        }

        return ids;
    }
}

/// <summary>Streams as the tests reach them: the named provider from a process's services.</summary>
internal static class TestStreams
{
    public static Orleans.Streams.IStreamProvider GetStreamProvider(this IServiceProvider services, string name) =>
        services.GetRequiredKeyedService<Orleans.Streams.IStreamProvider>(name);

    /// <summary>
    /// Listens to a user's events as a front end with one hub connection would: subscribed to the user's stream, and the
    /// connection reported to the user's grain (which makes the account live for fan-out) before the first event.
    /// </summary>
    public static async Task ListenAsConnectedAsync(this IServiceProvider services, long userId, Action<OrleansSocial.Realtime.UserEvent> received)
    {
        await services.GetStreamProvider(OrleansSocial.Realtime.UserEvents.Provider)
            .GetStream<OrleansSocial.Realtime.UserEvent>(OrleansSocial.Realtime.UserEvents.StreamFor(userId))
            .SubscribeAsync((e, _) => { received(e); return Task.CompletedTask; });
        await services.GetRequiredService<IGrainFactory>().GetGrain<OrleansSocial.Users.IUserGrain>(userId)
            .ReportConnectionsAsync(new OrleansSocial.Users.ConnectionReport("tests", 1, 1, TimeSpan.FromHours(1)));
    }
}
