import { useEffect, useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { Comment, Post, TimelineItem } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Icon } from "../components/Icon";
import { Link } from "../components/Link";
import { PostCard, Skeletons } from "../components/PostCard";
import { RichText } from "../components/RichText";
import { problem, usePaged } from "../lib/usePaged";
import { useOptimistic } from "../lib/useOptimistic";
import { navigate } from "../router";
import { useMe } from "../session";

/** A post on its own page with its comments, nested: each reply thread opens under its comment. */
export function PostDetail({ id }: { id: string }) {
  const [post, setPost] = useState<Post | null>(null);
  const [error, setError] = useState<string | null>(null);
  const comments = usePaged<Comment>(`/posts/${id}/comments`);

  useEffect(() => {
    setPost(null);
    setError(null);
    api.get<Post>(`/posts/${id}`).then(setPost, (caught) =>
      setError(caught instanceof ApiError && caught.status === 404 ? "This post does not exist, or you may not see it." : problem(caught)));
  }, [id]);

  if (error) return <div className="column"><p className="error" role="alert">{error}</p></div>;
  if (!post) return <div className="column"><Skeletons count={1} /></div>;
  const item: TimelineItem = { id: post.id, post, reposted_by: null };
  return (
    <div className="column">
      <h1 className="visually-hidden">Post by {displayName(post.author)}</h1>
      <PostCard item={item} detail onChange={setPost} onRemoved={() => navigate("/")} />
      <CommentForm postId={id} label="Add a comment" onAdded={(c) => {
        comments.prepend([c]);
        setPost((p) => (p ? { ...p, comments_count: p.comments_count + 1 } : p));
      }} />
      <h2 className="visually-hidden">Comments</h2>
      <CommentList list={comments} postId={id} postAuthor={post.author.id} label="Comments" />
      {!comments.loading && comments.items.length === 0 && !comments.error && <p className="empty">No comments yet.</p>}
    </div>
  );
}

type CommentPage = ReturnType<typeof usePaged<Comment>>;

function CommentList({ list, postId, postAuthor, label }: { list: CommentPage; postId: string; postAuthor: string; label: string }) {
  return (
    <>
      {list.error && <p className="error" role="alert">{list.error}</p>}
      <ol className="comments" aria-label={label} aria-busy={list.loading}>
        {list.items.map((c) => (
          <li key={c.id}>
            <CommentView comment={c} postId={postId} postAuthor={postAuthor}
              onChange={(changed) => list.update((x) => (x.id === changed.id ? changed : x))}
              onRemoved={() => list.setItems((all) => all.filter((x) => x.id !== c.id))} />
          </li>
        ))}
      </ol>
      <div ref={list.sentinel} />
    </>
  );
}

function CommentView({ comment, postId, postAuthor, onChange, onRemoved }: {
  comment: Comment;
  postId: string;
  postAuthor: string;
  onChange: (c: Comment) => void;
  onRemoved: () => void;
}) {
  const me = useMe();
  const [replying, setReplying] = useState(false);
  const [open, setOpen] = useState(false);
  const { error, change, remove } = useOptimistic(onChange);
  const replies = usePaged<Comment>(open ? `/posts/${postId}/comments/${comment.id}/replies` : null);

  function toggleLike() {
    const guess = { ...comment, liked: !comment.liked, likes_count: comment.likes_count + (comment.liked ? -1 : 1) };
    return change(comment, guess, () => api.post<Comment>(`/posts/${postId}/comments/${comment.id}/${comment.liked ? "unlike" : "like"}`));
  }

  function removeComment() {
    return remove("Delete this comment?", () => api.delete(`/posts/${postId}/comments/${comment.id}`), onRemoved);
  }

  const by = `comment-${comment.id}`;
  return (
    <article className="comment" aria-labelledby={by}>
      <header className="post-head">
        <Avatar account={comment.author} size={32} />
        <div>
          <Link id={by} className="author" to={`/accounts/${comment.author.id}`}>{displayName(comment.author)}</Link>{" "}
          <span className="meta">@{comment.author.username} · <time dateTime={comment.created_at}>{new Date(comment.created_at).toLocaleString()}</time>
            {comment.edited_at && " · edited"}</span>
        </div>
      </header>
      <RichText text={comment.text} />
      <footer className="actions">
        <button type="button" className="quiet" aria-pressed={comment.liked} onClick={() => void toggleLike()}>
          <Icon name="heart" filled={comment.liked} /> <span>{comment.likes_count}</span><span className="visually-hidden"> likes</span>
        </button>
        <button type="button" className="quiet" aria-expanded={replying} onClick={() => setReplying((r) => !r)}>Reply</button>
        {comment.replies_count > 0 && (
          <button type="button" className="quiet" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            {open ? "Hide replies" : comment.replies_count === 1 ? "1 reply" : `${comment.replies_count} replies`}
          </button>
        )}
        {me && (me.id === comment.author.id || me.id === postAuthor) && (
          <button type="button" className="quiet" onClick={() => void removeComment()}>Delete<span className="visually-hidden"> comment</span></button>
        )}
      </footer>
      {error && <p className="error" role="alert">{error}</p>}
      {replying && (
        <CommentForm postId={postId} parent={comment.id} label={`Reply to ${comment.author.username}`} onAdded={(reply) => {
          setReplying(false);
          onChange({ ...comment, replies_count: comment.replies_count + 1 });
          if (open) replies.prepend([reply]);
          else setOpen(true);
        }} />
      )}
      {open && <div className="replies"><CommentList list={replies} postId={postId} postAuthor={postAuthor} label={`Replies to ${comment.author.username}`} /></div>}
    </article>
  );
}

function CommentForm({ postId, parent, label, onAdded }: { postId: string; parent?: string; label: string; onAdded: (c: Comment) => void }) {
  const ids = useId();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const comment = await api.post<Comment>(`/posts/${postId}/comments`, { text, parent_comment_id: parent });
      setText("");
      onAdded(comment);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.field("text") ?? caught.field("parent_comment_id") ?? caught.title : problem(caught));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card comment-form" onSubmit={submit} aria-label={label}>
      <label htmlFor={`${ids}-text`} className="visually-hidden">{label}</label>
      <textarea id={`${ids}-text`} rows={2} value={text} maxLength={500} placeholder={label} onChange={(e) => setText(e.target.value)} />
      <div className="row">
        <button type="submit" disabled={busy || text.trim().length === 0}>{parent ? "Reply" : "Comment"}</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}
