using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using OrleansSocial.Posts;
using OrleansSocial.Stories;
using OrleansSocial.Users;

namespace OrleansSocial.Grains.Users;

/// <summary>
/// An account's deletion. Asking for it deactivates the account at once and registers a reminder due when the grace
/// period ends; signing in before then cancels it. Once due, the erasure runs in steps (a grain timer, one batch a tick,
/// so the grain keeps answering) and records its step after each; the reminder keeps firing every
/// <see cref="ErasureOptions.ResumePeriod"/> until the erasure finishes, so a silo that dies mid-way leaves it to be
/// resumed, from its recorded step, wherever the grain activates next. Every step is idempotent.
/// </summary>
public sealed partial class AccountErasureGrain(AccountErasureStore store, ErasureOptions options, TimeProvider time, ILogger<AccountErasureGrain> logger)
    : Grain, IAccountErasureGrain, IRemindable
{
    private const string Reminder = "erase";
    private IGrainTimer? _steps;

    private long Id => this.GetPrimaryKeyLong();

    public async Task<DateTimeOffset?> RequestAsync()
    {
        var eraseAfter = time.GetUtcNow() + options.Grace;
        if (!await store.RequestAsync(Id, eraseAfter))
        {
            return null;
        }

        await this.RegisterOrUpdateReminder(Reminder, options.Grace, options.ResumePeriod);
        await GrainFactory.GetGrain<IUserGrain>(Id).ReloadAsync(); // hidden from now on, and the trays holding it told
        await RecountNotifiedAsync(await store.NotifiedAsync(Id)); // its notifications no longer show
        return eraseAfter;
    }

    public async Task<bool> CancelAsync()
    {
        if (!await store.CancelAsync(Id))
        {
            return false;
        }

        await StopReminderAsync();
        await GrainFactory.GetGrain<IUserGrain>(Id).ReloadAsync();
        await RecountNotifiedAsync(await store.NotifiedAsync(Id));
        return true;
    }

    public async Task<ErasureStatus?> GetStatusAsync() =>
        await store.GetAsync(Id) is { } row ? new ErasureStatus(row.EraseAfter, row.Cancelled, row.Started, row.Step, row.Finished) : null;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (await store.GetAsync(Id) is not { Cancelled: false, Finished: false })
        {
            await StopReminderAsync(); // cancelled, finished, or never asked for
            return;
        }

        if (_steps is null && await store.StartAsync(Id))
        {
            _steps = this.RegisterGrainTimer(StepAsync, new GrainTimerCreationOptions(TimeSpan.Zero, options.StepInterval) { KeepAlive = true });
        }
    }

    // One batch of the current step; the next step once nothing of this one is left; the end once all are done. A failure
    // stops the timer: the reminder starts it again.
    private async Task StepAsync(CancellationToken ct)
    {
        try
        {
            if (await store.GetAsync(Id) is not { Started: true, Finished: false } row)
            {
                StopSteps();
                return;
            }

            if (row.PendingRecount.Length > 0)
            {
                await TellRecountAsync(row.PendingRecount);
                return;
            }

            if (await RunAsync(row.Step))
            {
                return; // more of this step next tick
            }

            var next = AccountErasureStore.Steps[Array.IndexOf(AccountErasureStore.Steps, row.Step) + 1];
            if (next == "done")
            {
                await store.LeavePlaceholderAsync(Id);
                await GrainFactory.GetGrain<IUserGrain>(Id).ReloadAsync();
                StopSteps();
                await StopReminderAsync();
                LogErased(logger, Id);
                return;
            }

            await store.SetStepAsync(Id, next);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStepFailed(logger, e, Id);
            StopSteps();
        }
    }

    // Runs one batch of the step; true when it found something to do (there may be more).
    private async Task<bool> RunAsync(string step)
    {
        switch (step)
        {
            case "engagement":
                var engaged = await store.EngagedPostsAsync(Id, options.BatchSize);
                await Task.WhenAll(engaged.Select(p => GrainFactory.GetGrain<IPostGrain>(p).ForgetAccountAsync(Id)));
                if (engaged.Length > 0)
                {
                    await store.ForgetEngagementAsync(Id, engaged); // whatever a grain could not reach
                }

                return engaged.Length > 0;
            case "posts":
                var posts = await store.LivePostsAsync(Id, options.BatchSize);
                await Task.WhenAll(posts.Select(p => GrainFactory.GetGrain<IPostGrain>(p).EraseAsync()));
                return posts.Length > 0;
            case "stories":
                foreach (var story in await store.LiveStoriesAsync(Id))
                {
                    try
                    {
                        await GrainFactory.GetGrain<IStoryGrain>(story).DeleteAsync(Id);
                    }
                    catch (KeyNotFoundException)
                    {
                        // ended meanwhile
                    }
                }

                return false;
            case "relationships":
                var others = await store.CounterpartsAsync(Id, options.BatchSize);
                if (others.Length == 0)
                {
                    return false;
                }

                await store.RemoveRelationshipsAsync(Id, others);
                await TellRecountAsync(others);
                return true;
            case "personal_data":
                await GrainFactory.GetGrain<IDataExportGrain>(Id).EraseAsync(); // its archives are personal data too
                var notified = await store.NotifiedAsync(Id);
                await store.ErasePersonalDataAsync(Id);
                await RecountNotifiedAsync(notified);
                return false;
            default:
                return false;
        }
    }

    // The accounts whose relationships with this one went: each grain forgets it and counts its rows again.
    private async Task TellRecountAsync(long[] accounts)
    {
        var none = new Relationship(Id, false, false, false, false, false, false, false, null);
        var recount = new CountsChange(0, 0, 0, 0) { Recount = true };
        await Task.WhenAll(accounts.Select(a => GrainFactory.GetGrain<IUserGrain>(a).ApplyRelationshipAsync(none, recount)));
        await GrainFactory.GetGrain<IUserGrain>(Id).ApplyCountsAsync(recount);
        await store.RecountedAsync(Id, accounts);
    }

    // Unread counts held hot by the inboxes of the accounts it notified.
    private Task RecountNotifiedAsync(long[] recipients) =>
        Task.WhenAll(recipients.Select(r => GrainFactory.GetGrain<OrleansSocial.Notifications.INotificationInboxGrain>(r).RefreshAsync()));

    private void StopSteps()
    {
        _steps?.Dispose();
        _steps = null;
    }

    private async Task StopReminderAsync()
    {
        if (await this.GetReminder(Reminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {Account} is erased.")]
    private static partial void LogErased(ILogger logger, long account);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A step of account {Account}'s erasure failed; its reminder resumes it.")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, long account);
}
