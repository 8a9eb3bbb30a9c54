import { useEffect, useState } from "react";
import { api, ApiError } from "../api/client";
import type { Account, Post, TimelineItem } from "../api/types";
import { PostCard } from "./Home";

interface Relationship {
  id: string;
  following: boolean;
  requested: boolean;
}

/** An account's page: header, counts, follow / requested / unfollow, a private account's notice, its posts. */
export function Profile({ id }: { id: string }) {
  const [account, setAccount] = useState<Account | null>(null);
  const [relation, setRelation] = useState<Relationship | null>(null);
  const [posts, setPosts] = useState<TimelineItem[] | null>(null);
  const [me, setMe] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setAccount(null);
    setPosts(null);
    void (async () => {
      try {
        const [found, mine] = await Promise.all([api.get<Account>(`/accounts/${id}`), api.get<Account>("/accounts/me")]);
        if (!live) return;
        setAccount(found);
        setMe(mine.id);
        const [relations, list] = await Promise.all([
          api.get<Relationship[]>(`/accounts/relationships?id=${id}`),
          api.get<TimelineItem[]>(`/accounts/${id}/posts?limit=20`).catch(() => [] as TimelineItem[]),
        ]);
        if (!live) return;
        setRelation(relations[0] ?? null);
        setPosts(list);
      } catch (caught) {
        if (live) setError(caught instanceof ApiError && caught.status === 404 ? "This account does not exist (or is not visible to you)." : "The server could not be reached.");
      }
    })();
    return () => {
      live = false;
    };
  }, [id]);

  // Optimistic, rolled back if refused.
  async function toggleFollow() {
    if (!relation || !account) return;
    const before = { relation, account };
    const following = relation.following || relation.requested;
    setRelation({ ...relation, following: !following && !account.is_private, requested: !following && account.is_private });
    if (!account.is_private || following) {
      setAccount({ ...account, followers_count: account.followers_count + (following ? -1 : 1) });
    }
    try {
      setRelation(await api.post<Relationship>(`/accounts/${id}/${following ? "unfollow" : "follow"}`));
      setError(null);
    } catch (caught) {
      setRelation(before.relation);
      setAccount(before.account);
      setError(caught instanceof ApiError ? caught.title : "The server could not be reached.");
    }
  }

  if (error && !account) return <p className="error" role="alert">{error}</p>;
  if (!account) return <div className="skeleton" aria-busy="true" aria-label="Loading" />;
  const following = relation?.following ?? false;
  const requested = relation?.requested ?? false;
  return (
    <div className="column">
      <section className="card profile" aria-labelledby="profile-name">
        <h1 id="profile-name">{account.display_name || account.username}</h1>
        <p className="meta">@{account.username}</p>
        {account.bio && <p>{account.bio}</p>}
        <p className="counts">
          <span><strong>{account.posts_count}</strong> posts</span>
          <span><strong>{account.followers_count}</strong> followers</span>
          <span><strong>{account.following_count}</strong> following</span>
        </p>
        {me !== account.id && relation && (
          <button type="button" onClick={() => void toggleFollow()} aria-pressed={following || requested}>
            {following ? "Unfollow" : requested ? "Requested" : "Follow"}
          </button>
        )}
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {account.is_private && !following && me !== account.id ? (
        <p className="notice">This account is private: follow it, and once it accepts you see its posts.</p>
      ) : (
        <ol className="timeline" aria-label={`Posts by ${account.username}`} aria-busy={posts === null}>
          {(posts ?? []).map((item) => (
            <li key={item.id}>
              <PostCard item={item} onChange={(post: Post) => setPosts((list) => (list ?? []).map((i) => (i.post.id === post.id ? { ...i, post } : i)))} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
