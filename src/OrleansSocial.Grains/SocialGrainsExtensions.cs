using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using OrleansSocial.Grains.Storage;
using OrleansSocial.Grains.Users;
using OrleansSocial.Realtime;
using OrleansSocial.Storage;

namespace OrleansSocial.Grains;

/// <summary>Hosts the OrleansSocial grains in a silo.</summary>
public static class SocialGrainsExtensions
{
    /// <summary>Service key of the process's PostgreSQL data source (<see cref="PostgresConnections"/>).</summary>
    public const string PostgresKey = PostgresConnections.ServiceKey;

    /// <summary>Name of the grain storage Orleans' stream pub-sub keeps its subscriptions in.</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>
    /// How often the memory streams' pulling agents look for events. Orleans' default (100 ms) puts about 100 ms on
    /// every live event; 10 ms keeps delivery within a few milliseconds at about the same CPU (measured 2026-12-01).
    /// </summary>
    public static readonly TimeSpan StreamPollPeriod = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Everything a silo of OrleansSocial needs: the grains' stores, Orleans grain storage and reminders and the event
    /// streams. With PostgreSQL, pending migrations from <c>sql/</c> are applied before any provider starts (the ADO.NET
    /// providers read their queries from the <c>OrleansQuery</c> table once, at start), grain state and the streams'
    /// subscriptions live in <c>orleans_storage</c> and reminders in <c>orleans_reminders</c>. Without it (the
    /// in-memory development mode) state and reminders are in memory, there are no accounts, and the account grains
    /// are never called.
    /// </summary>
    public static ISiloBuilder AddSocialGrains(this ISiloBuilder builder, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMemoryStreams(UserEvents.Provider, ConfigureStreams);
        builder.Services.TryAddSingleton<StreamMetrics>();
        builder.Services.TryAddSingleton<Posts.LocalViews>();
        builder.Services.TryAddSingleton<OrleansSocial.Posts.ILocalPostReader>(sp => sp.GetRequiredService<Posts.LocalViews>());
        if (string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            builder.AddMemoryGrainStorageAsDefault().AddMemoryGrainStorage(PubSubStore).UseInMemoryReminderService();
        }
        else
        {
            builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SchemaMigration(
                sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<ILogger<PostgresMigrator>>()));
            builder.AddSocialStorage(postgresConnectionString);
            builder.Services.AddPostgresDataSource(postgresConnectionString);
            builder.Services.AddSingleton(sp => new UserProfileStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.TryAddSingleton(new OrleansSocial.Posts.PostOptions());
            builder.Services.AddSingleton(sp => new Posts.PostStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.TryAddSingleton(new OrleansSocial.Timelines.TimelineOptions());
            builder.Services.TryAddSingleton(new OrleansSocial.Conversations.ConversationOptions());
            builder.Services.AddSingleton(sp => new Conversations.ConversationStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new Timelines.TimelineStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton<Timelines.TimelineFanout>();
            builder.Services.AddSingleton(sp => new Posts.ReactionWriter(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new Conversations.MessageWriter(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new Posts.CommentStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new Notifications.NotificationStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new AccountSearchStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.TryAddSingleton(new OrleansSocial.Stories.StoryOptions());
            builder.Services.AddSingleton(sp => new Stories.StoryStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new Stories.StoryViewWriter(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.AddSingleton(sp => new Stories.HighlightStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<OrleansSocial.Stories.StoryOptions>()));
            builder.Services.TryAddSingleton(new OrleansSocial.Moderation.ModerationOptions());
            builder.Services.AddSingleton(sp => new Moderation.KeywordFilters(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new Moderation.ReportStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
            builder.Services.TryAddSingleton(new OrleansSocial.Analytics.AnalyticsOptions());
            builder.Services.AddSingleton(sp => new Analytics.AnalyticsBuffer(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey),
                sp.GetRequiredService<OrleansSocial.Analytics.AnalyticsOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Analytics.AnalyticsBuffer>>()));
            builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Analytics.AnalyticsBuffer>());
            builder.Services.AddSingleton(sp => new Analytics.InsightsStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey)));
            builder.Services.TryAddSingleton(new OrleansSocial.Users.ErasureOptions());
            builder.Services.TryAddSingleton(new OrleansSocial.Users.ExportOptions());
            builder.Services.AddSingleton(sp => new DataExportStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new DataArchive(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetService<OrleansSocial.Media.IMediaStore>()));
            builder.Services.AddSingleton(sp => new AccountErasureStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
            builder.Services.AddSingleton(sp => new RelationshipStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
        }

        return builder;
    }

    /// <summary>
    /// Orleans' ADO.NET grain storage (default and <see cref="PubSubStore"/>) and reminder service on PostgreSQL, with
    /// their share of the process's connections (<see cref="PostgresConnections.ForOrleans"/>; statements prepared after
    /// their second use on a connection).
    /// </summary>
    public static ISiloBuilder AddSocialStorage(this ISiloBuilder builder, string postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = PostgresConnections.ForOrleans(postgresConnectionString);
        void Storage(AdoNetGrainStorageOptions o) => (o.Invariant, o.ConnectionString) = (AdoNetInvariant, connectionString);
        builder.AddAdoNetGrainStorageAsDefault(Storage).AddAdoNetGrainStorage(PubSubStore, Storage);
        return builder.UseAdoNetReminderService(o => (o.Invariant, o.ConnectionString) = (AdoNetInvariant, connectionString));
    }

    /// <summary>The ADO.NET invariant of Npgsql, as Orleans' providers name it.</summary>
    public const string AdoNetInvariant = "Npgsql";

    /// <summary>The event streams as a cluster client (the <c>frontend</c> role) sees them.</summary>
    public static IClientBuilder AddSocialStreams(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<StreamMetrics>();
        return builder.AddMemoryStreams(UserEvents.Provider);
    }

    /// <summary>
    /// How long a delivered event stays in the memory streams' queue cache: at least <see cref="StreamCacheMinTime"/>, and
    /// it goes once the cache spans more than <see cref="StreamCacheMaxAge"/>. Orleans' defaults (5 and 30 minutes) are
    /// for providers whose consumers rewind; ours never do (delivery is at most once), and under a sustained load the
    /// default kept every event of the last 5–30 minutes — every fanned-out <c>update</c> to every connected follower —
    /// in memory: the server grew by about 140 MB a minute (`./build.sh bench mixed`, 2026-12-05). A subscriber more
    /// than this far behind misses events, as one that is offline does.
    /// </summary>
    public static readonly TimeSpan StreamCacheMinTime = TimeSpan.FromSeconds(15);

    /// <inheritdoc cref="StreamCacheMinTime"/>
    public static readonly TimeSpan StreamCacheMaxAge = TimeSpan.FromSeconds(30);

    private static void ConfigureStreams(ISiloMemoryStreamConfigurator streams)
    {
        streams.ConfigurePullingAgent(o => o.Configure(a => a.GetQueueMsgsTimerPeriod = StreamPollPeriod));
        streams.ConfigureCacheEviction(o => o.Configure(e => (e.DataMinTimeInCache, e.DataMaxAgeInCache) = (StreamCacheMinTime, StreamCacheMaxAge)));
    }

    /// <summary>Applies pending migrations before anything else in the silo starts.</summary>
    private sealed class SchemaMigration(NpgsqlDataSource dataSource, ILogger<PostgresMigrator> logger) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaMigration), ServiceLifecycleStage.First,
                ct => new PostgresMigrator(dataSource, PostgresMigrator.Embedded, logger).MigrateAsync(ct));
    }
}
