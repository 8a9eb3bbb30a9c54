using OrleansSocial.Runtime.Hosting;
using OrleansSocial.Runtime.Testing;
using OrleansSocial.TestInfrastructure;

namespace OrleansSocial.Runtime.Postgres.Tests;

public sealed class WalletState
{
    public long Balance { get; set; }

    public List<string> History { get; set; } = [];
}

public interface IWalletGrain : IGrainWithStringKey
{
    Task<long> Deposit(long amount, string reference);

    Task<WalletState> Get();
}

public class WalletGrain([PersistentState("wallet")] IPersistentState<WalletState> wallet) : Grain, IWalletGrain
{
    public async Task<long> Deposit(long amount, string reference)
    {
        wallet.State.Balance += amount;
        wallet.State.History.Add(reference);
        await wallet.WriteStateAsync();
        return wallet.State.Balance;
    }

    public Task<WalletState> Get() => Task.FromResult(wallet.State);
}

public sealed class SiloStorageTests
{
    private static async Task<TestCluster> StartSiloAsync(string connectionString)
    {
        var builder = new TestClusterBuilder();
        builder.Options.ServiceId = "wallets";
        var cluster = builder
            .ConfigureSilo(silo => silo
                .AddGrainsFromAssembly<WalletGrain>()
                .AddPostgresGrainStorageAsDefault(o => o.ConnectionString = connectionString))
            .Build();
        await cluster.DeployAsync();
        return cluster;
    }

    [Fact]
    public async Task Grain_state_written_to_PostgreSQL_survives_a_silo_restart()
    {
        var connectionString = PostgresServer.Instance.CreateDatabase("silo");
        await using (var first = await StartSiloAsync(connectionString))
        {
            var wallet = first.GrainFactory.GetGrain<IWalletGrain>("alice");
            await wallet.Deposit(10, "r1");
            await wallet.Deposit(5, "r2");
        }

        await using var second = await StartSiloAsync(connectionString);
        var state = await second.GrainFactory.GetGrain<IWalletGrain>("alice").Get();

        Assert.Equal(15, state.Balance);
        Assert.Equal(["r1", "r2"], state.History);
    }

    [Fact]
    public async Task Two_activations_of_one_grain_in_different_silos_cannot_both_commit()
    {
        // A split view: two silos that each believe they own the grain, sharing one database.
        var connectionString = PostgresServer.Instance.CreateDatabase("split");
        await using var a = await StartSiloAsync(connectionString);
        await using var b = await StartSiloAsync(connectionString);
        var inA = a.GrainFactory.GetGrain<IWalletGrain>("bob");
        var inB = b.GrainFactory.GetGrain<IWalletGrain>("bob");
        await inA.Get();
        await inB.Get();

        await inA.Deposit(100, "from a");
        await Assert.ThrowsAsync<InconsistentStateException>(() => inB.Deposit(1, "from b"));
        var afterReload = await inB.Get();

        Assert.Equal(100, afterReload.Balance);
        Assert.Equal(["from a"], afterReload.History);
    }
}
