using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Streams;

namespace OrleansSocial.Runtime;

/// <summary>Stream provider registration for silos and clients.</summary>
public static class StreamRegistrationExtensions
{
    /// <summary>Adds in-process streams named <paramref name="name"/> (shared by the silos and clients of this process).</summary>
    public static ISiloBuilder AddMemoryStreams(this ISiloBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddMemoryStreams(builder.Services, name);
        return builder;
    }

    /// <summary>Adds in-process streams named <paramref name="name"/> to a cluster client.</summary>
    public static IClientBuilder AddMemoryStreams(this IClientBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddMemoryStreams(builder.Services, name);
        return builder;
    }

    private static void AddMemoryStreams(IServiceCollection services, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        services.AddKeyedSingleton<IStreamProvider>(name, (sp, _) =>
        {
            var cluster = sp.GetRequiredService<IOptions<ClusterOptions>>().Value;
            return new MemoryStreamProvider(name, $"{cluster.ServiceId}/{cluster.ClusterId}", sp.GetRequiredService<ILoggerFactory>(),
                sp.GetRequiredService<Diagnostics.RuntimeMetrics>());
        });
    }
}
