using Npgsql;
using OrleansSocial.Storage;

namespace OrleansSocial.Api.Tests;

public sealed class PostgresConnectionsTests
{
    [Theory]
    [InlineData("Host=db;Database=social", 30, 25, 5)]
    [InlineData("Host=db;Database=social;Maximum Pool Size=12", 12, 10, 2)]
    [InlineData("Host=db;Database=social;maximum pool size=90", 90, 80, 10)]
    public void A_process_splits_the_budget_its_connection_string_sets_between_its_stores_and_orleans(string connectionString, int budget, int stores, int orleans)
    {
        var forStores = new NpgsqlConnectionStringBuilder(PostgresConnections.ForStores(connectionString));
        var forOrleans = new NpgsqlConnectionStringBuilder(PostgresConnections.ForOrleans(connectionString));

        Assert.Equal(budget, PostgresConnections.Budget(connectionString));
        Assert.Equal(stores, forStores.MaxPoolSize);
        Assert.Equal(orleans, forOrleans.MaxPoolSize);
        Assert.Equal(budget, forStores.MaxPoolSize + forOrleans.MaxPoolSize);
        Assert.Equal("social", forStores.Database);
    }

    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(16, new NpgsqlConnectionStringBuilder(PostgresConnections.ForStores("Host=db")).MaxAutoPrepare);
        Assert.Equal(4, new NpgsqlConnectionStringBuilder(PostgresConnections.ForOrleans("Host=db;Max Auto Prepare=4")).MaxAutoPrepare);
    }
}
