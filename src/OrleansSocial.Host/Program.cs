using OrleansSocial.Api;
using OrleansSocial.Grains;
using OrleansSocial.Host;

// Configuration (appsettings.json, environment variables such as ConnectionStrings__Postgres, or --Key=Value):
//   Role                        all (default: silo and front end in one process) | silo | frontend (a cluster client)
//   ConnectionStrings:Postgres  grain state, reminders and data in PostgreSQL (migrations applied at start); without it, in memory
//   ConnectionStrings:Redis     cluster membership in Redis (several processes); without it, a one-silo localhost cluster
//   Cluster:ClusterId, Cluster:ServiceId, Silo:Port, Silo:GatewayPort, Silo:AdvertisedAddress (see docs/operations.md)
//   keys list | rotate | retire <kid>   manages the access-token signing key ring (Auth:KeyDirectory) and exits
//   health [url]                        exits 0 when GET <url> (default http://127.0.0.1:8080/health/ready) answers 2xx: for container health checks
if (args is ["health", ..])
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    try
    {
        using var ready = await http.GetAsync(new Uri(args.Length > 1 ? args[1] : "http://127.0.0.1:8080/health/ready"));
        return ready.IsSuccessStatusCode ? 0 : 1;
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        return 1;
    }
}

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

var isSilo = role != "frontend";
var cluster = ClusterSettings.From(builder.Configuration);
if (isSilo)
{
    builder.UseOrleans(silo => silo.AddSocialSilo(cluster, postgres, redis));
}
else
{
    builder.UseOrleansClient(client => client.AddSocialClient(cluster, redis!));
}

builder.AddOrleansSocialApi();
builder.Services.AddSocialHealthChecks(isSilo, postgres, redis);
if (isSilo)
{
    builder.Services.AddSingleton<ActivationGauge>();
    if (!string.IsNullOrWhiteSpace(redis))
    {
        builder.Services.AddHostedService<MembershipWatchdog>();
    }
}

var app = builder.Build();
if (isSilo)
{
    app.Services.GetRequiredService<ActivationGauge>(); // listens from the start
}

app.UseOrleansSocialApi();
app.MapSocialDashboard(cluster);

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"OrleansSocial ({role}) is listening on {string.Join(", ", app.Urls)} (try GET /health/ready); " +
                      $"grain state: {(string.IsNullOrWhiteSpace(postgres) ? "memory" : "PostgreSQL")}; " +
                      $"membership: {(string.IsNullOrWhiteSpace(redis) ? "single silo" : "Redis")}"));

await app.RunAsync();
return Environment.ExitCode; // 0, or MembershipWatchdog.ExitCode when the silo stopped to be restarted

/// <summary>Exposed for WebApplicationFactory-based tests.</summary>
public partial class Program;
