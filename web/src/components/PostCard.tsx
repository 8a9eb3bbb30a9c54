import { api } from "../api/client";
import type { Post, TimelineItem } from "../api/types";
import { useOptimistic } from "../lib/useOptimistic";
import { useMe } from "../session";
import { Avatar, displayName } from "./Avatar";
import { Icon } from "./Icon";
import { Link } from "./Link";
import { MediaGrid } from "./MediaGrid";
import { RichText } from "./RichText";

type Toggle = "like" | "repost" | "bookmark";

/** What a toggle changes on the post at once, before the server answers. */
export function toggled(post: Post, toggle: Toggle): Post {
  switch (toggle) {
    case "like":
      return { ...post, liked: !post.liked, likes_count: post.likes_count + (post.liked ? -1 : 1) };
    case "repost":
      return { ...post, reposted: !post.reposted, reposts_count: post.reposts_count + (post.reposted ? -1 : 1) };
    case "bookmark":
      return { ...post, bookmarked: !post.bookmarked, bookmarks_count: (post.bookmarks_count ?? 0) + (post.bookmarked ? -1 : 1) };
  }
}

function isOn(post: Post, toggle: Toggle): boolean {
  return toggle === "like" ? post.liked : toggle === "repost" ? !!post.reposted : !!post.bookmarked;
}

/**
 * A post in a list or on its own page: author, text with links, media, and the like / repost / bookmark toggles —
 * optimistic (changed at once, rolled back with the server's reason when refused).
 */
export function PostCard({ item, onChange, onRemoved, detail = false }: {
  item: TimelineItem;
  onChange: (post: Post) => void;
  onRemoved?: (post: Post) => void;
  detail?: boolean;
}) {
  const { post } = item;
  const me = useMe();
  const { error, change, remove } = useOptimistic(onChange);

  function toggle(which: Toggle) {
    const off = isOn(post, which) ? "un" : "";
    return change(post, toggled(post, which), () => api.post<Post>(`/posts/${post.id}/${off}${which}`));
  }

  function removePost() {
    return remove("Delete this post? This cannot be undone.", () => api.delete(`/posts/${post.id}`), () => onRemoved?.(post));
  }

  const by = `by-${item.id}`;
  return (
    <article className="card post" aria-labelledby={by}>
      {item.reposted_by && <p className="meta">Reposted by <Link to={`/accounts/${item.reposted_by.id}`}>@{item.reposted_by.username}</Link></p>}
      <header className="post-head">
        <Avatar account={post.author} />
        <div>
          <Link id={by} className="author" to={`/accounts/${post.author.id}`}>{displayName(post.author)}</Link>{" "}
          <span className="meta">
            @{post.author.username} ·{" "}
            <Link to={`/posts/${post.id}`} className="meta">
              <time dateTime={post.created_at}>{new Date(post.created_at).toLocaleString()}</time>
            </Link>
            {post.edited_at && " · edited"}
            {post.visibility !== "public" && ` · ${post.visibility === "followers" ? "followers only" : "only you"}`}
          </span>
        </div>
      </header>
      <RichText text={post.text} mentions={post.mentions} />
      {post.media_attachments && <MediaGrid media={post.media_attachments} sensitive={post.sensitive} />}
      <footer className="actions">
        {detail ? <span className="meta">{post.comments_count} comments</span> : (
          <Link to={`/posts/${post.id}`} className="action">
            <Icon name="comment" /> <span>{post.comments_count}</span><span className="visually-hidden"> comments</span>
          </Link>
        )}
        <button type="button" className="quiet" aria-pressed={!!post.reposted} onClick={() => void toggle("repost")}
          disabled={post.visibility !== "public" && !post.reposted}>
          <Icon name="repost" /> <span>{post.reposts_count}</span><span className="visually-hidden"> reposts</span>
        </button>
        <button type="button" className="quiet" aria-pressed={post.liked} onClick={() => void toggle("like")}>
          <Icon name="heart" filled={post.liked} /> <span>{post.likes_count}</span><span className="visually-hidden"> likes</span>
        </button>
        <button type="button" className="quiet" aria-pressed={!!post.bookmarked} onClick={() => void toggle("bookmark")}>
          <Icon name="bookmark" filled={!!post.bookmarked} /><span className="visually-hidden"> Bookmark</span>
        </button>
        {me?.id === post.author.id && onRemoved && (
          <button type="button" className="quiet" onClick={() => void removePost()}>Delete<span className="visually-hidden"> post</span></button>
        )}
      </footer>
      {error && <p className="error" role="alert">{error}</p>}
    </article>
  );
}

/** A list of timeline entries with the shared loading, empty and error states and the infinite-scroll sentinel. */
export function Timeline({ label, list, empty }: {
  label: string;
  list: {
    items: TimelineItem[];
    loading: boolean;
    error: string | null;
    sentinel: React.RefObject<HTMLDivElement | null>;
    update: (change: (item: TimelineItem) => TimelineItem) => void;
    setItems: (change: (items: TimelineItem[]) => TimelineItem[]) => void;
  };
  empty: string;
}) {
  const { items, loading, error, sentinel, update, setItems } = list;
  return (
    <>
      {error && <p className="error" role="alert">{error}</p>}
      <ol className="timeline" aria-busy={loading} aria-label={label}>
        {items.map((item) => (
          <li key={item.id}>
            <PostCard item={item}
              onChange={(post) => update((i) => (i.post.id === post.id ? { ...i, post } : i))}
              onRemoved={(post) => setItems((all) => all.filter((i) => i.post.id !== post.id))} />
          </li>
        ))}
      </ol>
      {loading && items.length === 0 && <Skeletons />}
      {!loading && items.length === 0 && !error && <p className="empty">{empty}</p>}
      <div ref={sentinel} />
    </>
  );
}

export function Skeletons({ count = 3 }: { count?: number }) {
  return (
    <div aria-hidden="true">
      {Array.from({ length: count }, (_, i) => <div key={i} className="skeleton" />)}
    </div>
  );
}
