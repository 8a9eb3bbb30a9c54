import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { MediaAttachment, Post } from "../api/types";
import { problem } from "../lib/usePaged";

export const MaxLength = 500;
export const MaxAttachments = 4;

interface Attachment {
  key: string;
  name: string;
  preview: string;
  progress: number;
  media: MediaAttachment | null;
  description: string;
  error: string | null;
}

/**
 * Writes a post: text (kept across reloads as a draft), who may see it, and up to four pictures or videos — each
 * uploaded as soon as it is picked, with its progress, and its alt text sent before the post.
 */
export function Composer({ onPosted }: { onPosted: (post: Post) => void }) {
  const [text, setText] = useState(() => sessionStorage.getItem("draft") ?? "");
  const [visibility, setVisibility] = useState("public");
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const files = useRef<HTMLInputElement>(null);
  const ids = useId();

  // The draft survives a reload (it holds no secret).
  useEffect(() => {
    sessionStorage.setItem("draft", text);
  }, [text]);

  const change = (key: string, patch: Partial<Attachment>) =>
    setAttachments((all) => all.map((a) => (a.key === key ? { ...a, ...patch } : a)));

  function pick(list: FileList | null) {
    const picked = Array.from(list ?? []).slice(0, MaxAttachments - attachments.length);
    for (const file of picked) {
      const key = `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`;
      setAttachments((all) => [...all, { key, name: file.name, preview: URL.createObjectURL(file), progress: 0, media: null, description: "", error: null }]);
      const form = new FormData();
      form.append("file", file);
      void api.upload<MediaAttachment>("/media", form, (fraction) => change(key, { progress: fraction }))
        .then((media) => change(key, { media, progress: 1 }))
        .catch((caught) => change(key, { error: caught instanceof ApiError ? caught.field("file") ?? caught.title : problem(caught) }));
    }
    if (files.current) files.current.value = "";
  }

  function remove(key: string) {
    setAttachments((all) => {
      const gone = all.find((a) => a.key === key);
      if (gone) URL.revokeObjectURL(gone.preview);
      return all.filter((a) => a.key !== key);
    });
  }

  const uploading = attachments.some((a) => a.media === null && a.error === null);
  const failed = attachments.some((a) => a.error !== null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      for (const a of attachments) {
        if (a.media && a.description.trim() !== a.media.description) {
          await api.put(`/media/${a.media.id}`, { description: a.description.trim() });
        }
      }
      const media_ids = attachments.flatMap((a) => (a.media ? [a.media.id] : []));
      const post = await api.post<Post>("/posts", { text, visibility, media_ids: media_ids.length > 0 ? media_ids : undefined });
      setText("");
      attachments.forEach((a) => URL.revokeObjectURL(a.preview));
      setAttachments([]);
      onPosted(post); // at the top at once; the home timeline has it too once the fan-out reaches it
    } catch (caught) {
      setError(ApiError.of(caught));
    } finally {
      setBusy(false);
    }
  }

  const message = error ? error.field("text") ?? error.field("media_ids") ?? error.field("description") ?? error.title : null;
  return (
    <form className="card composer" onSubmit={submit} aria-label="New post">
      <label htmlFor={`${ids}-text`} className="visually-hidden">What is happening?</label>
      <textarea id={`${ids}-text`} value={text} maxLength={MaxLength} placeholder="What is happening?" rows={3}
        onChange={(e) => setText(e.target.value)} />
      {attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {attachments.map((a, i) => (
            <li key={a.key} className="attachment">
              <img src={a.preview} alt="" width={96} height={96} />
              <div className="field">
                <label htmlFor={`${ids}-alt-${i}`}>Alt text for {a.name}</label>
                <input id={`${ids}-alt-${i}`} value={a.description} maxLength={1500} onChange={(e) => change(a.key, { description: e.target.value })}
                  placeholder="Describe it for people who cannot see it" />
                {a.error ? <p className="error" role="alert">{a.error}</p>
                  : <progress max={1} value={a.progress} aria-label={`Upload of ${a.name}`}>{Math.round(a.progress * 100)}%</progress>}
              </div>
              <button type="button" className="quiet" onClick={() => remove(a.key)}>Remove<span className="visually-hidden"> {a.name}</span></button>
            </li>
          ))}
        </ul>
      )}
      <div className="row">
        <label className="button quiet" htmlFor={`${ids}-files`}>
          Add pictures
        </label>
        <input id={`${ids}-files`} ref={files} className="visually-hidden" type="file" accept="image/*,video/*" multiple
          disabled={attachments.length >= MaxAttachments} onChange={(e) => pick(e.target.files)} />
        <label htmlFor={`${ids}-visibility`}>Who can see it</label>
        <select id={`${ids}-visibility`} value={visibility} onChange={(e) => setVisibility(e.target.value)}>
          <option value="public">Everyone</option>
          <option value="followers">Followers</option>
          <option value="private">Only me</option>
        </select>
        <span className="count" aria-live="polite">{MaxLength - text.length}</span>
        <button type="submit" disabled={busy || uploading || failed || (text.trim().length === 0 && attachments.length === 0)}>Post</button>
      </div>
      {message && <p className="error" role="alert">{message}</p>}
    </form>
  );
}
