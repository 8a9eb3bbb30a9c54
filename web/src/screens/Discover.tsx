import { useEffect, useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { Account, Post, SearchResult, TimelineItem, TrendingTag } from "../api/types";
import { AccountRow } from "../components/Avatar";
import { Link } from "../components/Link";
import { PostCard, Skeletons, Timeline } from "../components/PostCard";
import { problem, usePaged } from "../lib/usePaged";
import { navigate, useQueryParam } from "../router";

function People({ accounts, label }: { accounts: Account[]; label: string }) {
  return (
    <ul className="people" aria-label={label}>
      {accounts.map((a) => <AccountRow key={a.id} account={a} note={a.is_private ? " · private" : ""} />)}
    </ul>
  );
}

/** Search: accounts, posts you may see and hashtags, for what is in `?q=`. */
export function Search() {
  const ids = useId();
  const q = useQueryParam("q");
  const [text, setText] = useState(q);
  const [result, setResult] = useState<SearchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setText(q);
    if (q.trim().length === 0) {
      setResult(null);
      return;
    }
    let current = true;
    setBusy(true);
    api.get<SearchResult>(`/search?q=${encodeURIComponent(q)}&limit=20`)
      .then((r) => { if (current) { setResult(r); setError(null); } }, (caught) => current && setError(problem(caught)))
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [q]);

  function submit(e: FormEvent) {
    e.preventDefault();
    navigate(`/search?q=${encodeURIComponent(text.trim())}`);
  }

  const changePost = (post: Post) =>
    setResult((r) => (r ? { ...r, posts: r.posts.map((i) => (i.post.id === post.id ? { ...i, post } : i)) } : r));
  return (
    <div className="column">
      <h1>Search</h1>
      <form role="search" className="row" onSubmit={submit}>
        <label htmlFor={`${ids}-q`} className="visually-hidden">Search accounts, posts and hashtags</label>
        <input id={`${ids}-q`} type="search" value={text} maxLength={200} placeholder="Search accounts, posts and #hashtags" onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={text.trim().length === 0}>Search</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {busy && !result && <Skeletons count={2} />}
      {result && (
        <div aria-busy={busy}>
          <h2>Accounts</h2>
          {result.accounts.length > 0 ? <People accounts={result.accounts} label="Accounts found" /> : <p className="empty">No accounts.</p>}
          <h2>Hashtags</h2>
          {result.hashtags.length > 0 ? (
            <ul className="tags" aria-label="Hashtags found">
              {result.hashtags.map((t) => <li key={t.name}><Link to={`/tags/${encodeURIComponent(t.name)}`}>#{t.name}</Link> <span className="meta">{t.posts_count} posts</span></li>)}
            </ul>
          ) : <p className="empty">No hashtags.</p>}
          <h2>Posts</h2>
          {result.posts.length > 0 ? (
            <ol className="timeline" aria-label="Posts found">
              {result.posts.map((item) => <li key={item.id}><PostCard item={item} onChange={changePost} /></li>)}
            </ol>
          ) : <p className="empty">No posts.</p>}
        </div>
      )}
    </div>
  );
}

/** A hashtag's public posts, newest first, and following it (its posts then join your home timeline). */
export function TagTimeline({ tag }: { tag: string }) {
  const list = usePaged<TimelineItem>(`/timelines/tag/${encodeURIComponent(tag)}`);
  const [following, setFollowing] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setFollowing(null);
    // The followed tags are few: the first page tells.
    api.get<{ id: string; name: string }[]>("/followed_tags?limit=40")
      .then((tags) => setFollowing(tags.some((t) => t.name === tag)), () => setFollowing(false));
  }, [tag]);

  async function toggle() {
    const before = following;
    setFollowing(!before);
    try {
      await api.post(`/tags/${encodeURIComponent(tag)}/${before ? "unfollow" : "follow"}`);
      setError(null);
    } catch (caught) {
      setFollowing(before);
      setError(problem(caught));
    }
  }

  return (
    <div className="column">
      <div className="row spread">
        <h1>#{tag}</h1>
        {following !== null && (
          <button type="button" aria-pressed={following} onClick={() => void toggle()}>{following ? "Unfollow hashtag" : "Follow hashtag"}</button>
        )}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <Timeline label={`Posts tagged ${tag}`} list={list} empty="No public posts with this hashtag yet." />
    </div>
  );
}

/** Trending: hashtags rising over their usual use, and the posts drawing the most engagement this week. */
export function Explore() {
  const [tags, setTags] = useState<TrendingTag[] | null>(null);
  const [posts, setPosts] = useState<Post[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<TrendingTag[]>("/trends/tags?limit=10").then(setTags, (c) => setError(problem(c)));
    api.get<Post[]>("/trends/posts?limit=20").then(setPosts, (c) => setError(problem(c)));
  }, []);
  return (
    <div className="column">
      <h1>Trending</h1>
      {error && <p className="error" role="alert">{error}</p>}
      <h2>Hashtags</h2>
      {tags === null ? <Skeletons count={1} /> : tags.length === 0 ? <p className="empty">Nothing is trending right now.</p> : (
        <ol className="tags" aria-label="Trending hashtags">
          {tags.map((t) => (
            <li key={t.name}><Link to={`/tags/${encodeURIComponent(t.name)}`}>#{t.name}</Link> <span className="meta">{t.accounts} people today</span></li>
          ))}
        </ol>
      )}
      <h2>Posts</h2>
      {posts === null ? <Skeletons count={2} /> : posts.length === 0 ? <p className="empty">No trending posts yet.</p> : (
        <ol className="timeline" aria-label="Trending posts">
          {posts.map((post) => (
            <li key={post.id}>
              <PostCard item={{ id: post.id, post, reposted_by: null }} onChange={(p) => setPosts((all) => (all ?? []).map((x) => (x.id === p.id ? p : x)))} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** Your bookmarks, newest first. */
export function Bookmarks() {
  const list = usePaged<TimelineItem>("/bookmarks", (post: Post) => ({ id: post.id, post, reposted_by: null }));
  return (
    <div className="column">
      <h1>Bookmarks</h1>
      <Timeline label="Bookmarks" list={list} empty="Bookmark posts to find them here." />
    </div>
  );
}

/** People who asked to follow your private account: accept or decline each. */
export function FollowRequests() {
  const list = usePaged<Account>("/follow_requests");
  const [error, setError] = useState<string | null>(null);
  async function answer(account: Account, accept: boolean) {
    try {
      await api.post(`/follow_requests/${account.id}/${accept ? "authorize" : "reject"}`);
      list.setItems((all) => all.filter((a) => a.id !== account.id));
      setError(null);
    } catch (caught) {
      setError(problem(caught));
    }
  }
  return (
    <div className="column">
      <h1>Follow requests</h1>
      {(error ?? list.error) && <p className="error" role="alert">{error ?? list.error}</p>}
      <ul className="people" aria-label="Follow requests" aria-busy={list.loading}>
        {list.items.map((a) => (
          <AccountRow key={a.id} account={a}>
            <button type="button" onClick={() => void answer(a, true)}>Accept<span className="visually-hidden"> {a.username}</span></button>
            <button type="button" className="quiet" onClick={() => void answer(a, false)}>Decline<span className="visually-hidden"> {a.username}</span></button>
          </AccountRow>
        ))}
      </ul>
      {!list.loading && list.items.length === 0 && !list.error && <p className="empty">No one is waiting.</p>}
      <div ref={list.sentinel} />
    </div>
  );
}
