using Orleans;
using Orleans.Concurrency;
using OrleansSocial.Analytics;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Analytics;

/// <summary>Serves insights from the stored analytics; any silo, any number of activations.</summary>
[StatelessWorker]
public sealed class InsightsGrain(InsightsStore store, AnalyticsOptions options, TimeProvider time) : Grain, IInsightsGrain
{
    public Task<PostInsights?> GetPostInsightsAsync(Guid postId, long viewerId) =>
        store.PostAsync(postId, viewerId, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));

    public Task<AccountInsights> GetAccountInsightsAsync(long accountId, DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            throw new ArgumentException("to must not be before from.", "to");
        }

        if (to.DayNumber - from.DayNumber + 1 > options.MaxRangeDays)
        {
            throw new ArgumentException($"The range from from to to must be at most {options.MaxRangeDays} days.", "from");
        }

        return WithFollowersAsync(accountId, from, to);
    }

    // The follower count as the account's grain holds it (the stored one is written behind).
    private async Task<AccountInsights> WithFollowersAsync(long accountId, DateOnly from, DateOnly to)
    {
        var insights = await store.AccountAsync(accountId, from, to);
        var account = await GrainFactory.Reference<IUserGrain>(accountId).GetAccountAsync(accountId);
        return account is null ? insights : insights with { Followers = account.FollowersCount };
    }
}
