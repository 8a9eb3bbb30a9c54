using OrleansSocial.Runtime;
using OrleansSocial.Runtime.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.UseOrleans(silo => silo
    .AddGrainsFromAssembly(typeof(Program).Assembly)
    .AddMemoryGrainStorageAsDefault());

builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapGet("/health/live", (IClusterMembershipService membership, ILocalSiloDetails silo) =>
    TypedResults.Ok(new LiveResponse("live", silo.SiloAddress.ToString(), membership.CurrentView.Members.GetValueOrDefault(silo.SiloAddress).ToString())))
    .WithName("Live");

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"OrleansSocial is listening on {string.Join(", ", app.Urls)} (try GET /health/live)"));

await app.RunAsync();

/// <summary>The answer of <c>GET /health/live</c>: the process is up and its silo's status.</summary>
internal sealed record LiveResponse(string Status, string Silo, string SiloStatus);

/// <summary>Exposed for WebApplicationFactory-based tests.</summary>
public partial class Program;
