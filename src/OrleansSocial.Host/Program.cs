using OrleansSocial.Api;
using OrleansSocial.Grains;
using OrleansSocial.Host;
using OrleansSocial.Runtime;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Postgres;
using OrleansSocial.Runtime.Redis;

// Configuration (appsettings.json, environment variables such as ConnectionStrings__Postgres, or --Key=Value):
//   Role                        all (default: silo and front end in one process) | silo | frontend (a cluster client)
//   ConnectionStrings:Postgres  grain state in PostgreSQL (migrations applied at start); without it, state is in memory
//   ConnectionStrings:Redis     cluster membership and streams in Redis (several processes); without it, one silo
//   Cluster:ClusterId, Cluster:ServiceId, Silo:Host, Silo:Port, Api:MaxRequestBodyBytes, Api:CorsOrigins
//   keys list | rotate | retire <kid>   manages the access-token signing key ring (Auth:KeyDirectory) and exits
if (args is ["keys", ..])
{
    var settings = new ConfigurationBuilder().AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables().Build();
    return OrleansSocial.Api.Accounts.KeyCommands.Run(settings, args[1..], Console.Out);
}

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--role"] = "Role" });
var role = (builder.Configuration["Role"] ?? "all").ToLowerInvariant();
var postgres = builder.Configuration.GetConnectionString("Postgres");
var redis = builder.Configuration.GetConnectionString("Redis");
if (role is not ("all" or "silo" or "frontend"))
{
    Console.Error.WriteLine($"Unknown role '{role}': use all, silo or frontend.");
    return 2;
}

if (role == "frontend" && string.IsNullOrWhiteSpace(redis))
{
    Console.Error.WriteLine("The frontend role is a cluster client: it needs ConnectionStrings:Redis to find the silos.");
    return 2;
}

const string Streams = OrleansSocial.Realtime.UserEvents.Provider;
var isSilo = role != "frontend";
if (isSilo)
{
    builder.UseOrleans(silo =>
    {
        silo.AddSocialGrains(postgres);
        silo.Services.Configure<ClusterOptions>(builder.Configuration.GetSection("Cluster"));
        silo.Services.Configure<SiloOptions>(builder.Configuration.GetSection("Silo"));
        if (string.IsNullOrWhiteSpace(postgres))
        {
            silo.AddMemoryGrainStorageAsDefault();
        }
        else
        {
            silo.AddPostgresGrainStorageAsDefault(o => o.ConnectionString = postgres);
        }

        if (string.IsNullOrWhiteSpace(redis))
        {
            silo.AddMemoryStreams(Streams);
        }
        else
        {
            silo.UseRedisClustering(redis).AddRedisStreams(Streams, redis);
        }
    });
}
else
{
    builder.UseOrleansClient(client =>
    {
        client.AddGrainsFromAssembly(typeof(SocialGrainsExtensions).Assembly);
        client.Services.Configure<ClusterOptions>(builder.Configuration.GetSection("Cluster"));
        client.UseRedisClustering(redis!).AddRedisStreams(Streams, redis!);
    });
}

builder.AddOrleansSocialApi();
var health = builder.Services.AddHealthChecks()
    .Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration("membership",
        sp => new MembershipHealthCheck(sp.GetRequiredService<IClusterMembershipService>(), sp.GetRequiredService<ILocalSiloDetails>(), isSilo),
        null, [ApiHosting.ReadyTag]));
if (!string.IsNullOrWhiteSpace(postgres))
{
    health.Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration("postgres",
        sp => new PostgresHealthCheck(sp.GetRequiredKeyedService<Npgsql.NpgsqlDataSource>(ApiHosting.PostgresKey)), null, [ApiHosting.ReadyTag]));
}

if (!string.IsNullOrWhiteSpace(redis))
{
    health.Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration("redis",
        sp => new RedisHealthCheck(sp.GetRequiredKeyedService<StackExchange.Redis.IConnectionMultiplexer>(RedisClusteringExtensions.MembershipConnectionKey)),
        null, [ApiHosting.ReadyTag]));
}

var app = builder.Build();
app.UseOrleansSocialApi();

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"OrleansSocial ({role}) is listening on {string.Join(", ", app.Urls)} (try GET /health/ready); " +
                      $"grain state: {(string.IsNullOrWhiteSpace(postgres) ? "memory" : "PostgreSQL")}; " +
                      $"membership: {(string.IsNullOrWhiteSpace(redis) ? "single silo" : "Redis")}"));

await app.RunAsync();
return 0;

/// <summary>Exposed for WebApplicationFactory-based tests.</summary>
public partial class Program;
