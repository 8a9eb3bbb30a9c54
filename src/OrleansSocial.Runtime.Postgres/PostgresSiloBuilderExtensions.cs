using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansSocial.Runtime.Hosting;

namespace OrleansSocial.Runtime.Postgres;

/// <summary>Registers PostgreSQL grain storage on a silo.</summary>
public static class PostgresSiloBuilderExtensions
{
    /// <summary>
    /// Adds a grain storage provider named <paramref name="name"/> backed by the <c>grain_state</c> table. The silo applies
    /// pending migrations from <c>sql/</c> before it takes requests.
    /// </summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder builder, string name, Action<PostgresGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<PostgresGrainStorageOptions>(name).Configure(configure).Validate(
            o => !string.IsNullOrWhiteSpace(o.ConnectionString), $"Grain storage '{name}' needs a PostgreSQL connection string.");
        services.AddKeyedSingleton(name, (sp, _) =>
            NpgsqlDataSource.Create(sp.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get(name).ConnectionString));
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => new PostgresGrainStorage(
            name,
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredKeyedService<NpgsqlDataSource>(name),
            sp.GetGrainJsonOptions(),
            sp.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get(name),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PostgresGrainStorage>>()));
        services.AddSingleton<ISiloStartupTask>(sp => new MigrationStartupTask(new PostgresMigrator(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(name), PostgresMigrator.Embedded, sp.GetRequiredService<ILogger<PostgresMigrator>>())));
        return builder;
    }

    /// <summary>Adds PostgreSQL grain storage used by states that name no provider.</summary>
    public static ISiloBuilder AddPostgresGrainStorageAsDefault(this ISiloBuilder builder, Action<PostgresGrainStorageOptions> configure) =>
        builder.AddPostgresGrainStorage(Storage.PersistentStateFactory.DefaultStorageName, configure);

    private sealed class MigrationStartupTask(PostgresMigrator migrator) : ISiloStartupTask
    {
        public Task ExecuteAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);
    }
}
