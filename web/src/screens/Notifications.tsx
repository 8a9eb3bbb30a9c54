import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Notification, NotificationEvent } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Link } from "../components/Link";
import { Skeletons } from "../components/PostCard";
import { problem, usePaged } from "../lib/usePaged";
import { setUnread } from "../lib/unread";

const Said: Record<string, string> = {
  follow: "followed you",
  follow_request: "asked to follow you",
  follow_approved: "accepted your follow request",
  like: "liked your post",
  comment: "commented on your post",
  reply: "replied to your comment",
  mention: "mentioned you",
  repost: "reposted your post",
  quote: "quoted your post",
};

const Security: Record<string, string> = {
  new_sign_in: "A sign-in from a new device",
  backup_codes_renewed: "New backup codes were made",
  password_changed: "Your password was changed",
  two_factor_enabled: "Two-factor sign-in was turned on",
  two_factor_disabled: "Two-factor sign-in was turned off",
  passkey_added: "A passkey was added to your account",
  passkey_removed: "A passkey was removed from your account",
  deletion_cancelled: "Signing in cancelled the deletion of your account",
};

/** What a notification says, in words. */
export function describe(n: Pick<Notification, "type" | "detail">): string {
  if (n.type === "security") return Security[n.detail ?? ""] ?? "Security alert";
  if (n.type === "moderation") return "A moderator acted on your account or content";
  if (n.type === "report_resolved") return "A report you made was resolved";
  if (n.type === "appeal_decided") return "Your appeal was decided";
  return Said[n.type] ?? n.type;
}

function target(n: Notification): string | null {
  if (n.type === "follow_request") return "/follow_requests";
  if (n.post_id) return `/posts/${n.post_id}`;
  if (n.actor) return `/accounts/${n.actor.id}`;
  return null;
}

/** Your notifications, newest first; new ones arrive live at the top; "mark all read" clears the badge. */
export function Notifications() {
  const list = usePaged<Notification>("/notifications");
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    return api.on({ notification: (e: NotificationEvent) => list.prepend([{ ...e, read: false }]) });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- list's functions only change state
  }, []);

  async function readAll() {
    try {
      await api.post("/notifications/read_all");
      list.update((n) => ({ ...n, read: true }));
      setUnread(0);
      setError(null);
    } catch (caught) {
      setError(problem(caught));
    }
  }

  return (
    <div className="column">
      <div className="row spread">
        <h1>Notifications</h1>
        <button type="button" onClick={() => void readAll()} disabled={!list.items.some((n) => !n.read)}>Mark all read</button>
      </div>
      {(error ?? list.error) && <p className="error" role="alert">{error ?? list.error}</p>}
      <ol className="notifications" aria-label="Notifications" aria-busy={list.loading}>
        {list.items.map((n) => {
          const to = target(n);
          const words = (
            <>
              {n.actor && <strong>{displayName(n.actor)} </strong>}
              {describe(n)}
            </>
          );
          return (
            <li key={n.id} className={`card notification${n.read ? "" : " unread"}`}>
              {n.actor?.avatar && <Avatar account={n.actor} size={32} />}
              <div>
                <p>{to ? <Link to={to}>{words}</Link> : words}{!n.read && <span className="visually-hidden"> (unread)</span>}</p>
                {n.post && <p className="meta quote">{n.post.text}</p>}
                <p className="meta"><time dateTime={n.created_at}>{new Date(n.created_at).toLocaleString()}</time></p>
              </div>
            </li>
          );
        })}
      </ol>
      {list.loading && list.items.length === 0 && <Skeletons />}
      {!list.loading && list.items.length === 0 && !list.error && <p className="empty">No notifications yet.</p>}
      <div ref={list.sentinel} />
    </div>
  );
}
