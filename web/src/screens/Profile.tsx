import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { Account, Me, Relationship, TimelineItem } from "../api/types";
import { Timeline } from "../components/PostCard";
import { Link } from "../components/Link";
import { displayName } from "../components/Avatar";
import { RichText } from "../components/RichText";
import { problem, usePaged } from "../lib/usePaged";
import { navigate } from "../router";
import { useMe } from "../session";

/**
 * An account's page: header, avatar, counts, follow / requested / unfollow, mute and block, a private account's notice,
 * and its posts and media tabs. Your own has "Edit profile".
 */
export function Profile({ id, onMeChanged }: { id: string; onMeChanged: (me: Me) => void }) {
  const me = useMe();
  const [account, setAccount] = useState<Account | null>(null);
  const [relation, setRelation] = useState<Relationship | null>(null);
  const [tab, setTab] = useState<"posts" | "media">("posts");
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const own = me?.id === id;
  const canSee = account !== null && (own || !account.is_private || relation?.following === true);
  const posts = usePaged<TimelineItem>(canSee ? `/accounts/${id}/posts${tab === "media" ? "?only_media=true" : ""}` : null);

  useEffect(() => {
    let live = true;
    setAccount(null);
    setRelation(null);
    setError(null);
    setTab("posts");
    void (async () => {
      try {
        const [found, relations] = await Promise.all([api.get<Account>(`/accounts/${id}`), api.get<Relationship[]>(`/accounts/relationships?id=${id}`)]);
        if (!live) return;
        setRelation(relations[0] ?? null);
        setAccount(found);
      } catch (caught) {
        if (live) setError(caught instanceof ApiError && caught.status === 404 ? "This account does not exist (or is not visible to you)." : problem(caught));
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
      setAccount({ ...account, followers_count: account.followers_count + (relation.following ? -1 : following ? 0 : 1) });
    }
    try {
      setRelation(await api.post<Relationship>(`/accounts/${id}/${following ? "unfollow" : "follow"}`));
      setError(null);
    } catch (caught) {
      setRelation(before.relation);
      setAccount(before.account);
      setError(problem(caught));
    }
  }

  async function change(action: "block" | "unblock" | "mute" | "unmute") {
    if (action === "block" && !window.confirm(`Block @${account?.username}? Follows both ways end and neither of you sees the other.`)) return;
    try {
      setRelation(await api.post<Relationship>(`/accounts/${id}/${action}`));
      setError(null);
      if (action === "block") navigate("/");
    } catch (caught) {
      setError(problem(caught));
    }
  }

  if (error && !account) return <div className="column"><p className="error" role="alert">{error}</p></div>;
  if (!account) return <div className="column"><div className="skeleton" aria-busy="true" aria-label="Loading" /></div>;
  const following = relation?.following ?? false;
  const requested = relation?.requested ?? false;
  return (
    <div className="column">
      <section className="card profile" aria-labelledby="profile-name">
        {account.header && <img className="header" src={account.header} alt="" width={1500} height={500} />}
        <img className="avatar large" src={account.avatar} alt={`${account.username}'s avatar`} width={96} height={96} />
        <h1 id="profile-name">{displayName(account)}</h1>
        <p className="meta">@{account.username}{account.is_private ? " · private account" : ""}{relation?.followed_by ? " · follows you" : ""}</p>
        {account.bio && <RichText text={account.bio} />}
        {account.website && <p><a href={account.website} rel="noopener noreferrer nofollow ugc me" target="_blank">{account.website}</a></p>}
        <p className="counts">
          <span><strong>{account.posts_count}</strong> posts</span>
          <span><strong>{account.followers_count}</strong> followers</span>
          <span><strong>{account.following_count}</strong> following</span>
        </p>
        <div className="row">
          {own ? (
            <>
              <button type="button" onClick={() => setEditing(true)}>Edit profile</button>
              {account.is_private && <Link to="/follow_requests">Follow requests</Link>}
            </>
          ) : relation && (
            <>
              {!relation.blocking && (
                <button type="button" onClick={() => void toggleFollow()} aria-pressed={following || requested}>
                  {following ? "Unfollow" : requested ? "Requested" : "Follow"}
                </button>
              )}
              {!relation.blocking && <Link to={`/messages/new/${account.id}`}>Message</Link>}
              <button type="button" className="quiet" onClick={() => void change(relation.muting ? "unmute" : "mute")}>{relation.muting ? "Unmute" : "Mute"}</button>
              <button type="button" className="quiet" onClick={() => void change(relation.blocking ? "unblock" : "block")}>{relation.blocking ? "Unblock" : "Block"}</button>
            </>
          )}
        </div>
        {relation?.muting && <p className="notice">You muted this account: its posts and notifications stay out of your timelines.</p>}
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {editing && me && (
        <EditProfile me={me} onDone={(changed) => {
          setEditing(false);
          if (changed) {
            onMeChanged(changed);
            setAccount({ ...account, display_name: changed.display_name, bio: changed.bio, website: changed.website, avatar: changed.avatar, header: changed.header, is_private: changed.is_private });
          }
        }} />
      )}
      {!canSee ? (
        <p className="notice">This account is private: follow it, and once it accepts you see its posts.</p>
      ) : (
        <>
          <div className="tabs" role="tablist" aria-label="Profile sections">
            <button type="button" role="tab" aria-selected={tab === "posts"} className="quiet" onClick={() => setTab("posts")}>Posts</button>
            <button type="button" role="tab" aria-selected={tab === "media"} className="quiet" onClick={() => setTab("media")}>Media</button>
          </div>
          <div role="tabpanel">
            <Timeline label={tab === "posts" ? `Posts by ${account.username}` : `Media by ${account.username}`} list={posts}
              empty={tab === "posts" ? "No posts yet." : "No pictures or videos yet."} />
          </div>
        </>
      )}
    </div>
  );
}

/** Edits your name, bio, website, avatar and header (the pictures are cropped by the server). */
function EditProfile({ me, onDone }: { me: Me; onDone: (changed: Me | null) => void }) {
  const ids = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(me.display_name);
  const [bio, setBio] = useState(me.bio);
  const [website, setWebsite] = useState(me.website ?? "");
  const [avatar, setAvatar] = useState<File | null>(null);
  const [header, setHeader] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => dialog.current?.showModal(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const form = new FormData();
    // Only what changed: a field left alone stays as it is.
    if (name !== me.display_name) form.append("display_name", name);
    if (bio !== me.bio) form.append("bio", bio);
    if (website !== (me.website ?? "")) form.append("website", website);
    if (avatar) form.append("avatar", avatar);
    if (header) form.append("header", header);
    try {
      setProgress(0);
      const changed = await api.upload<Me>("/accounts/me", form, setProgress, "PATCH");
      onDone(changed);
    } catch (caught) {
      setError(ApiError.of(caught));
    } finally {
      setProgress(null);
    }
  }

  const field = (name: string) => error?.field(name);
  return (
    <dialog ref={dialog} className="card" aria-labelledby={`${ids}-title`} onClose={() => onDone(null)}>
      <form onSubmit={submit}>
        <h2 id={`${ids}-title`}>Edit profile</h2>
        <div className="field">
          <label htmlFor={`${ids}-name`}>Display name</label>
          <input id={`${ids}-name`} value={name} maxLength={50} onChange={(e) => setName(e.target.value)} aria-invalid={!!field("display_name")} />
          {field("display_name") && <p className="error" role="alert">{field("display_name")}</p>}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-bio`}>Bio</label>
          <textarea id={`${ids}-bio`} value={bio} rows={3} maxLength={500} onChange={(e) => setBio(e.target.value)} aria-invalid={!!field("bio")} />
          {field("bio") && <p className="error" role="alert">{field("bio")}</p>}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-website`}>Website</label>
          <input id={`${ids}-website`} type="url" value={website} onChange={(e) => setWebsite(e.target.value)} aria-invalid={!!field("website")} />
          {field("website") && <p className="error" role="alert">{field("website")}</p>}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-avatar`}>Avatar</label>
          <input id={`${ids}-avatar`} type="file" accept="image/*" onChange={(e) => setAvatar(e.target.files?.[0] ?? null)} />
          {field("avatar") && <p className="error" role="alert">{field("avatar")}</p>}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-header`}>Header</label>
          <input id={`${ids}-header`} type="file" accept="image/*" onChange={(e) => setHeader(e.target.files?.[0] ?? null)} />
          {field("header") && <p className="error" role="alert">{field("header")}</p>}
        </div>
        {progress !== null && <progress max={1} value={progress} aria-label="Saving" />}
        {error && Object.keys(error.errors).length === 0 && <p className="error" role="alert">{error.title}</p>}
        <div className="row">
          <button type="submit" disabled={progress !== null}>Save</button>
          <button type="button" className="quiet" onClick={() => dialog.current?.close()}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}
