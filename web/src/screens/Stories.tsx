import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { Account, MediaAttachment } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Link } from "../components/Link";
import { problem, usePaged } from "../lib/usePaged";
import { navigate } from "../router";
import { useMe } from "../session";

interface TrayEntry {
  account: { id: string; username: string; display_name: string; avatar: string };
  has_unseen: boolean;
  stories: { id: string; created_at: string; expires_at: string; seen: boolean }[];
}

export interface Story {
  id: string;
  account: Account;
  media: MediaAttachment;
  caption: string;
  link_url: string | null;
  audience: string;
  created_at: string;
  expires_at: string;
  views_count: number | null;
}

interface Viewer {
  id: string;
  account: Account;
  viewed_at: string;
  reaction: string | null;
}

// The tray's order, so the viewer can go on to the next account's stories.
let trayOrder: string[] = [];

/** The story tray on home: your own story (add one), then the accounts you follow with live stories, unseen first. */
export function StoryTray() {
  const me = useMe();
  const [tray, setTray] = useState<TrayEntry[] | null>(null);
  const [mine, setMine] = useState<Story[]>([]);
  const [adding, setAdding] = useState(false);

  const load = useCallback(async () => {
    if (!me) return;
    try {
      const [entries, own] = await Promise.all([api.get<TrayEntry[]>("/stories/tray"), api.get<Story[]>(`/accounts/${me.id}/stories`)]);
      trayOrder = entries.map((e) => e.account.id);
      setTray(entries);
      setMine(own);
    } catch {
      setTray([]);
    }
  }, [me]);

  useEffect(() => {
    void load();
    const changed = () => void load();
    return api.on({ story_posted: changed, story_deleted: changed });
  }, [load]);

  if (!me) return null;
  return (
    <section className="tray" aria-label="Stories">
      <ul>
        <li>
          {mine.length > 0 ? (
            <Link to={`/stories/${me.id}`} className="ring seen" aria-label="Your story">
              <Avatar account={me} size={56} /><span>Your story</span>
            </Link>
          ) : null}
          <button type="button" className="quiet add-story" onClick={() => setAdding(true)}>+ Add story</button>
        </li>
        {(tray ?? []).map((entry) => (
          <li key={entry.account.id}>
            <Link to={`/stories/${entry.account.id}`} className={`ring ${entry.has_unseen ? "unseen" : "seen"}`}
              aria-label={`Stories of ${displayName(entry.account)}${entry.has_unseen ? ", new" : ""}`}>
              <Avatar account={entry.account} size={56} /><span>{entry.account.username}</span>
            </Link>
          </li>
        ))}
      </ul>
      {adding && <NewStory onDone={(posted) => { setAdding(false); if (posted) void load(); }} />}
    </section>
  );
}

/** Posts a story: a picture or short video, a caption, and who sees it. */
function NewStory({ onDone }: { onDone: (posted: boolean) => void }) {
  const ids = useId();
  const [file, setFile] = useState<File | null>(null);
  const [caption, setCaption] = useState("");
  const [audience, setAudience] = useState("followers");
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => dialog.current?.showModal(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setError("Pick a picture or a video.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      form.append("file", file);
      let media = await api.upload<MediaAttachment>("/media", form, setProgress);
      // A large video is processed after the upload: wait until it is ready.
      while (media.url === null) {
        await new Promise((r) => setTimeout(r, 1000));
        media = await api.get<MediaAttachment>(`/media/${media.id}`);
      }
      await api.post("/stories", { media_id: media.id, caption: caption || undefined, audience });
      onDone(true);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.field("file") ?? caught.field("media_id") ?? caught.field("caption") ?? caught.title : problem(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="card" aria-labelledby={`${ids}-title`} onClose={() => onDone(false)}>
      <form onSubmit={submit}>
        <h2 id={`${ids}-title`}>New story</h2>
        <div className="field">
          <label htmlFor={`${ids}-file`}>Picture or video</label>
          <input id={`${ids}-file`} type="file" accept="image/*,video/*" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-caption`}>Caption</label>
          <input id={`${ids}-caption`} value={caption} maxLength={500} onChange={(e) => setCaption(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-audience`}>Who sees it</label>
          <select id={`${ids}-audience`} value={audience} onChange={(e) => setAudience(e.target.value)}>
            <option value="followers">Followers</option>
            <option value="close_friends">Close friends</option>
            <option value="public">Everyone</option>
          </select>
        </div>
        {busy && <progress max={1} value={progress} aria-label="Upload" />}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="row">
          <button type="submit" disabled={busy}>Share</button>
          <button type="button" className="quiet" onClick={() => dialog.current?.close()}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}

const ImageSeconds = 5;

/**
 * An account's live stories full screen: progress bars, tap the left or right side (or the arrow keys) to go back or
 * on, Escape to close. Viewing is recorded; others can reply (a direct message) and the author sees who viewed each.
 */
export function StoryViewer({ accountId }: { accountId: string }) {
  const me = useMe();
  const [stories, setStories] = useState<Story[] | null>(null);
  const [index, setIndex] = useState(0);
  const [elapsed, setElapsed] = useState(0);
  const [paused, setPaused] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [viewers, setViewers] = useState<string | null>(null);
  const own = me?.id === accountId;

  useEffect(() => {
    setStories(null);
    setIndex(0);
    api.get<Story[]>(`/accounts/${accountId}/stories`).then(setStories, (caught) => setError(problem(caught)));
  }, [accountId]);

  const close = () => navigate("/");
  const nextAccount = useCallback(() => {
    const at = trayOrder.indexOf(accountId);
    const next = at >= 0 ? trayOrder[at + 1] : undefined;
    navigate(next ? `/stories/${next}` : "/");
  }, [accountId]);
  const forward = useCallback(() => {
    setElapsed(0);
    if (stories && index + 1 < stories.length) setIndex(index + 1);
    else nextAccount();
  }, [stories, index, nextAccount]);
  const back = () => {
    setElapsed(0);
    setIndex((i) => Math.max(0, i - 1));
  };

  const story = stories?.[index];
  // Each shown story is recorded as viewed (once; the server ignores repeats).
  useEffect(() => {
    if (story && !own) void api.post(`/stories/${story.id}/view`).catch(() => undefined);
  }, [story, own]);

  const duration = (story?.media.type === "video" && story.media.meta.original?.duration) || ImageSeconds;
  useEffect(() => {
    if (!story || paused || viewers !== null) return;
    const tick = window.setInterval(() => setElapsed((e) => e + 0.1), 100);
    return () => window.clearInterval(tick);
  }, [story, paused, viewers]);
  useEffect(() => {
    if (elapsed >= duration) forward();
  }, [elapsed, duration, forward]);

  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).tagName === "INPUT") return;
      if (e.key === "ArrowRight") forward();
      else if (e.key === "ArrowLeft") back();
      else if (e.key === "Escape") close();
    };
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [forward]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!stories) return <div className="skeleton" aria-busy="true" aria-label="Loading" />;
  if (!story) {
    return (
      <div className="column">
        <p className="empty">No live stories here.</p>
        <Link to="/">Back home</Link>
      </div>
    );
  }

  return (
    <section className="story-viewer" aria-label={`Stories of ${displayName(story.account)}`}>
      <div className="bars" aria-hidden="true">
        {stories.map((s, i) => (
          <span key={s.id}><span style={{ width: `${i < index ? 100 : i > index ? 0 : Math.min(100, (elapsed / duration) * 100)}%` }} /></span>
        ))}
      </div>
      <header className="row">
        <Avatar account={story.account} size={32} />
        <strong>{displayName(story.account)}</strong>
        <span className="meta"><time dateTime={story.created_at}>{new Date(story.created_at).toLocaleTimeString()}</time></span>
        <p className="visually-hidden" aria-live="polite">Story {index + 1} of {stories.length}</p>
        <button type="button" className="quiet" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>{paused ? "Play" : "Pause"}</button>
        <button type="button" className="quiet" onClick={close}>Close</button>
      </header>
      <div className="story-media">
        {story.media.type === "video"
          ? <video src={story.media.url ?? undefined} autoPlay muted playsInline aria-label={story.media.description || "Story video"} />
          : <img src={story.media.url ?? undefined} alt={story.media.description || story.caption || "Story"} />}
        <button type="button" className="tap back" onClick={back} aria-label="Previous story" />
        <button type="button" className="tap forward" onClick={forward} aria-label="Next story" />
      </div>
      {story.caption && <p className="caption">{story.caption}</p>}
      {story.link_url && <a href={story.link_url} rel="noopener noreferrer nofollow ugc" target="_blank">{story.link_url}</a>}
      {own ? (
        <div className="row">
          <button type="button" onClick={() => setViewers(story.id)}>{story.views_count === 1 ? "1 viewer" : `${story.views_count ?? 0} viewers`}</button>
          <button type="button" className="quiet" onClick={() => {
            if (window.confirm("Delete this story?")) void api.delete(`/stories/${story.id}`).then(() => setStories(stories.filter((s) => s.id !== story.id)), (c) => setError(problem(c)));
          }}>Delete story</button>
        </div>
      ) : (
        <StoryReply story={story} onFocus={() => setPaused(true)} />
      )}
      {viewers && <Viewers storyId={viewers} onClose={() => setViewers(null)} />}
    </section>
  );
}

function StoryReply({ story, onFocus }: { story: Story; onFocus: () => void }) {
  const ids = useId();
  const [text, setText] = useState("");
  const [state, setState] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    try {
      await api.post(`/stories/${story.id}/replies`, { client_id: crypto.randomUUID(), text });
      setText("");
      setState("Sent.");
    } catch (caught) {
      setState(caught instanceof ApiError ? caught.field("text") ?? caught.title : problem(caught));
    }
  }
  return (
    <form className="row" onSubmit={submit}>
      <label htmlFor={`${ids}-reply`} className="visually-hidden">Reply to {story.account.username}</label>
      <input id={`${ids}-reply`} value={text} onFocus={onFocus} onChange={(e) => setText(e.target.value)} placeholder={`Reply to ${story.account.username}…`} />
      <button type="submit" disabled={text.trim().length === 0}>Send</button>
      <span role="status">{state}</span>
    </form>
  );
}

/** Who viewed your story (only its author may ask), newest first, with reactions. */
function Viewers({ storyId, onClose }: { storyId: string; onClose: () => void }) {
  const list = usePaged<Viewer>(`/stories/${storyId}/viewers`);
  const dialog = useRef<HTMLDialogElement>(null);
  const ids = useId();
  useEffect(() => dialog.current?.showModal(), []);
  return (
    <dialog ref={dialog} className="card" aria-labelledby={`${ids}-title`} onClose={onClose}>
      <h2 id={`${ids}-title`}>Viewers</h2>
      {list.error && <p className="error" role="alert">{list.error}</p>}
      <ul className="people" aria-busy={list.loading}>
        {list.items.map((v) => (
          <li key={v.id}>
            <Avatar account={v.account} size={32} />
            <Link to={`/accounts/${v.account.id}`}>{displayName(v.account)}</Link>
            {v.reaction && <span aria-label="reaction">{v.reaction}</span>}
          </li>
        ))}
      </ul>
      {!list.loading && list.items.length === 0 && <p className="empty">No views yet.</p>}
      <div ref={list.sentinel} />
      <button type="button" onClick={() => dialog.current?.close()}>Close</button>
    </dialog>
  );
}
