using OrleansSocial.Runtime;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Postgres;
using OrleansSocial.Runtime.Redis;

var builder = WebApplication.CreateBuilder(args);

// Configuration (appsettings.json, environment variables such as ConnectionStrings__Postgres, or command-line --Key=Value):
//   ConnectionStrings:Postgres  grain state in PostgreSQL (migrations applied at start); without it, state is in memory
//   ConnectionStrings:Redis     cluster membership in Redis (several silos); without it, a single silo
//   Cluster:ClusterId, Cluster:ServiceId, Silo:Host, Silo:Port
var postgres = builder.Configuration.GetConnectionString("Postgres");
var redis = builder.Configuration.GetConnectionString("Redis");

builder.UseOrleans(silo =>
{
    silo.AddGrainsFromAssembly(typeof(Program).Assembly);
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

    if (!string.IsNullOrWhiteSpace(redis))
    {
        silo.UseRedisClustering(redis);
    }
});

builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGet("/health/live", (IClusterMembershipService membership, ILocalSiloDetails silo) =>
    TypedResults.Ok(new LiveResponse("live", silo.SiloAddress.ToString(), membership.CurrentView.Members.GetValueOrDefault(silo.SiloAddress).ToString())))
    .WithName("Live");

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"OrleansSocial is listening on {string.Join(", ", app.Urls)} (try GET /health/live); " +
                      $"grain state: {(string.IsNullOrWhiteSpace(postgres) ? "memory" : "PostgreSQL")}; " +
                      $"membership: {(string.IsNullOrWhiteSpace(redis) ? "single silo" : "Redis")}"));

await app.RunAsync();

/// <summary>The answer of <c>GET /health/live</c>: the process is up and its silo's status.</summary>
internal sealed record LiveResponse(string Status, string Silo, string SiloStatus);

/// <summary>Exposed for WebApplicationFactory-based tests.</summary>
public partial class Program;
