using Npgsql;
using OrleansSocial.Grains;
using OrleansSocial.Realtime;
using OrleansSocial.Runtime;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Postgres;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Host.Tests;

/// <summary>The real grains on a multi-silo TestCluster over a PostgreSQL database of their own.</summary>
internal static class SocialCluster
{
    public static async Task<TestCluster> StartAsync(string connectionString, short silos, Action<ISiloBuilder>? configure = null)
    {
        var builder = new TestClusterBuilder();
        builder.Options.InitialSilosCount = silos;
        builder.ConfigureSilo(silo =>
        {
            configure?.Invoke(silo);
            silo.AddSocialGrains(connectionString)
                .AddPostgresGrainStorageAsDefault(o => o.ConnectionString = connectionString)
                .AddMemoryStreams(UserEvents.Provider);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
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
