using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;

namespace OrleansSocial.Runtime.Tests;

/// <summary>Every call any test grain receives or makes, as seen by the silo's filters.</summary>
public sealed class CallLog
{
    public ConcurrentQueue<string> Incoming { get; } = new();

    public ConcurrentQueue<string> Outgoing { get; } = new();
}

public sealed class RecordingIncomingFilter(CallLog log) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        log.Incoming.Enqueue($"{context.TargetId}:{context.MethodName}");
        await context.Invoke();
    }
}

/// <summary>The standard test silo: all test grains, a default memory storage, recording filters.</summary>
public sealed class TestSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        var log = new CallLog();
        siloBuilder.Services.AddSingleton(log);
        siloBuilder
            .AddGrainsFromAssembly<TestSiloConfigurator>()
            .AddMemoryGrainStorageAsDefault()
            .AddIncomingGrainCallFilter<RecordingIncomingFilter>()
            .AddOutgoingGrainCallFilter(context =>
            {
                log.Outgoing.Enqueue($"{context.SourceId?.ToString() ?? "client"}->{context.TargetId}:{context.MethodName}");
                return context.Invoke();
            });
    }
}

/// <summary>One cluster shared by the tests of the <see cref="ClusterCollection"/>.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; } = new TestClusterBuilder().AddSiloBuilderConfigurator<TestSiloConfigurator>().Build();

    public IGrainFactory Grains => Cluster.GrainFactory;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
