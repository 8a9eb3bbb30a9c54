namespace OrleansSocial.Grains.Posts;

/// <summary>
/// The accounts that liked (reposted, bookmarked) one post, held by its grain so a viewer's flag costs no query. A post
/// with more than the held limit (<c>Posts:ReactionsHeldInMemory</c>) keeps none: <see cref="Has"/> answers null and
/// the grain asks the rows. The grain changes it; readers in the silo (<see cref="LocalViews"/>) may ask it meanwhile, so
/// it is read and changed under a lock.
/// </summary>
public sealed class Engagement
{
    private readonly HashSet<long>? _accounts;
    private readonly Lock _gate = new();

    private Engagement(HashSet<long>? accounts) => _accounts = accounts;

    /// <summary>From the first rows read (at most <paramref name="held"/> + 1): more than <paramref name="held"/> means too many to hold.</summary>
    public static Engagement From(long[] accounts, int held)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        return new Engagement(accounts.Length > held ? null : [.. accounts]);
    }

    /// <summary>An empty set, for a post just created.</summary>
    public static Engagement Empty() => new([]);

    /// <summary>Whether <paramref name="account"/> is in the set; null when the set is not held.</summary>
    public bool? Has(long account)
    {
        if (_accounts is null)
        {
            return null;
        }

        lock (_gate)
        {
            return _accounts.Contains(account);
        }
    }

    /// <summary>Records a row added or removed; the set stops being held once it outgrows <paramref name="held"/>.</summary>
    public Engagement With(long account, bool on, int held)
    {
        if (_accounts is null)
        {
            return this;
        }

        lock (_gate)
        {
            if (on)
            {
                _accounts.Add(account);
                return _accounts.Count > held ? new Engagement(null) : this;
            }

            _accounts.Remove(account);
            return this;
        }
    }
}
