import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { Post, TimelineItem } from "../api/types";
import { navigate } from "../router";

const PageSize = 20;
const MaxLength = 500;

export function Home() {
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<TimelineItem[]>([]);
  const [live, setLive] = useState(api.eventsLive);
  const loadingRef = useRef(false);
  const sentinel = useRef<HTMLDivElement>(null);

  const loadPage = useCallback(async (before?: string) => {
    if (loadingRef.current) {
      return;
    }
    loadingRef.current = true;
    setLoading(true);
    try {
      const page = await api.get<TimelineItem[]>(`/timelines/home?limit=${PageSize}${before ? `&max_id=${encodeURIComponent(before)}` : ""}`);
      setItems((current) => (before ? [...current, ...page.filter((p) => !current.some((c) => c.id === p.id))] : page));
      setMore(page.length === PageSize);
      setError(null);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.title : "The server could not be reached.");
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void loadPage();
  }, [loadPage]);

  // New posts reaching the home timeline wait behind a pill, so the list never jumps under the reader.
  useEffect(() => {
    const hub = api.events();
    const arrived = (update: { key: string | number; post: Post; reposted_by: TimelineItem["reposted_by"] }) =>
      setPending((current) => [{ id: String(update.key), post: update.post, reposted_by: update.reposted_by }, ...current]);
    hub.on("update", arrived);
    const stopWatching = api.onEventsLive(setLive);
    setLive(api.eventsLive);
    return () => {
      hub.off("update", arrived);
      stopWatching();
    };
  }, []);

  // Arrived posts not shown already (one's own post is at the top since posting it).
  const fresh = pending.filter((p) => !items.some((c) => c.post.id === p.post.id && !c.reposted_by));
  const showPending = () => {
    setItems((current) => [...fresh, ...current]);
    setPending([]);
    window.scrollTo({ top: 0 });
  };

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const end = sentinel.current;
    if (!end || !more) {
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && items.length > 0) {
        void loadPage(items[items.length - 1].id);
      }
    });
    observer.observe(end);
    return () => observer.disconnect();
  }, [items, more, loadPage]);

  const replacePost = (post: Post) =>
    setItems((current) => current.map((i) => (i.post.id === post.id ? { ...i, post } : i)));

  return (
    <div className="column">
      <Composer onPosted={(post) => setItems((current) => [{ id: post.id, post, reposted_by: null }, ...current])} />
      <h1 className="visually-hidden">Home</h1>
      <p className="meta live" data-live={live}>{live ? "Live: new posts appear as they arrive" : "Connecting for live updates…"}</p>
      <div aria-live="polite">
        {fresh.length > 0 && (
          <button type="button" className="pill" onClick={showPending}>
            {fresh.length === 1 ? "1 new post" : `${fresh.length} new posts`}
          </button>
        )}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <ol className="timeline" aria-busy={loading} aria-label="Home timeline">
        {items.map((item) => (
          <li key={item.id}>
            <PostCard item={item} onChange={replacePost} />
          </li>
        ))}
      </ol>
      {loading && items.length === 0 && <div className="skeleton" aria-hidden="true" />}
      {!loading && items.length === 0 && !error && <p className="empty">Nothing here yet: follow people, or write the first post.</p>}
      <div ref={sentinel} />
    </div>
  );
}

function Composer({ onPosted }: { onPosted: (post: Post) => void }) {
  const [text, setText] = useState(() => sessionStorage.getItem("draft") ?? "");
  const [visibility, setVisibility] = useState("public");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // The draft survives a reload (it holds no secret).
  useEffect(() => {
    sessionStorage.setItem("draft", text);
  }, [text]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const post = await api.post<Post>("/posts", { text, visibility });
      setText("");
      onPosted(post); // at the top at once; the home timeline has it too once the fan-out reaches it
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.field("text") ?? caught.title : "The server could not be reached.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card composer" onSubmit={submit} aria-label="New post">
      <label htmlFor="compose" className="visually-hidden">What is happening?</label>
      <textarea id="compose" value={text} maxLength={MaxLength} placeholder="What is happening?" rows={3}
        onChange={(e) => setText(e.target.value)} />
      <div className="row">
        <label htmlFor="visibility">Who can see it</label>
        <select id="visibility" value={visibility} onChange={(e) => setVisibility(e.target.value)}>
          <option value="public">Everyone</option>
          <option value="followers">Followers</option>
          <option value="private">Only me</option>
        </select>
        <span className="count" aria-live="polite">{MaxLength - text.length}</span>
        <button type="submit" disabled={busy || text.trim().length === 0}>Post</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}

export function PostCard({ item, onChange }: { item: TimelineItem; onChange: (post: Post) => void }) {
  const { post } = item;
  const [error, setError] = useState<string | null>(null);

  // Optimistic: the heart changes at once and goes back if the server refuses.
  async function toggleLike() {
    const before = post;
    onChange({ ...post, liked: !post.liked, likes_count: post.likes_count + (post.liked ? -1 : 1) });
    try {
      onChange(await api.post<Post>(`/posts/${post.id}/${before.liked ? "unlike" : "like"}`));
      setError(null);
    } catch (caught) {
      onChange(before);
      setError(caught instanceof ApiError ? caught.title : "The server could not be reached.");
    }
  }

  return (
    <article className="card post" aria-labelledby={`by-${item.id}`}>
      {item.reposted_by && <p className="meta">Reposted by @{item.reposted_by.username}</p>}
      <header>
        <a id={`by-${item.id}`} className="author" href={`/accounts/${post.author.id}`}
          onClick={(e) => { e.preventDefault(); navigate(`/accounts/${post.author.id}`); }}>
          {post.author.display_name || post.author.username}
        </a>{" "}
        <span className="meta">@{post.author.username} · <time dateTime={post.created_at}>{new Date(post.created_at).toLocaleString()}</time></span>
      </header>
      <p className="text">{post.text}</p>
      <footer>
        <button type="button" className="quiet" aria-pressed={post.liked} onClick={() => void toggleLike()}>
          {post.liked ? "♥" : "♡"} <span>{post.likes_count}</span><span className="visually-hidden"> likes</span>
        </button>
        <span className="meta">{post.comments_count} comments · {post.reposts_count} reposts</span>
      </footer>
      {error && <p className="error" role="alert">{error}</p>}
    </article>
  );
}
