using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OrleansSocial.Grains.Users;
using OrleansSocial.Runtime;
using OrleansSocial.Runtime.Hosting;

namespace OrleansSocial.Grains;

/// <summary>Hosts the OrleansSocial grains in a silo.</summary>
public static class SocialGrainsExtensions
{
    /// <summary>Service key of the grains' PostgreSQL connection pool.</summary>
    public const string PostgresKey = "grains";

    /// <summary>
    /// Adds every grain class of this assembly and the stores they read and write. Without a PostgreSQL connection
    /// string (the in-memory development mode) there are no accounts, and the account grains are never called.
    /// </summary>
    public static ISiloBuilder AddSocialGrains(this ISiloBuilder builder, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddGrainsFromAssembly(typeof(SocialGrainsExtensions).Assembly);
        if (!string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            builder.Services.AddKeyedSingleton(PostgresKey, (_, _) => NpgsqlDataSource.Create(postgresConnectionString));
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
            builder.Services.AddSingleton(sp => new RelationshipStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresKey), sp.GetRequiredService<TimeProvider>()));
        }

        return builder;
    }
}
