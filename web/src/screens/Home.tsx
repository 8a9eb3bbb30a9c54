import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Post, TimelineItem } from "../api/types";
import { Composer } from "../components/Composer";
import { Timeline } from "../components/PostCard";
import { StoryTray } from "./Stories";
import { useLive } from "../lib/useLive";
import { usePaged } from "../lib/usePaged";

export function Home() {
  const list = usePaged<TimelineItem>("/timelines/home");
  const [pending, setPending] = useState<TimelineItem[]>([]);
  const live = useLive();

  // New posts reaching the home timeline wait behind a pill, so the list never jumps under the reader; edits and
  // deletions apply in place.
  useEffect(() => {
    const arrived = (update: { key: string | number; post: Post; reposted_by: TimelineItem["reposted_by"] }) =>
      setPending((current) => [{ id: String(update.key), post: update.post, reposted_by: update.reposted_by }, ...current]);
    // An event's post has no media URLs nor the reader's own flags: the edited post is read again.
    const edited = (post: Post) => {
      void api.get<Post>(`/posts/${post.id}`).then((fresh) => list.update((i) => (i.post.id === fresh.id ? { ...i, post: fresh } : i)), () => undefined);
    };
    const removed = (gone: { post_id: string; key: string | null }) => {
      const match = (i: TimelineItem) => (gone.key ? i.id === gone.key : i.post.id === gone.post_id);
      list.setItems((all) => all.filter((i) => !match(i)));
      setPending((all) => all.filter((i) => !match(i)));
    };
    return api.on({ update: arrived, post_updated: edited, delete: removed });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- list's functions only change state
  }, []);

  // Arrived posts not shown already (one's own post is at the top since posting it). Showing them reads the top of
  // the timeline again: an event's post lacks media URLs and the reader's own flags.
  const fresh = pending.filter((p) => !list.items.some((c) => c.post.id === p.post.id && !c.reposted_by));
  const showPending = () => {
    setPending([]);
    void list.reload();
    window.scrollTo({ top: 0 });
  };

  return (
    <div className="column">
      <h1 className="visually-hidden">Home</h1>
      <StoryTray />
      <Composer onPosted={(post) => list.prepend([{ id: post.id, post, reposted_by: null }])} />
      <p className="meta live" data-live={live}>{live ? "Live: new posts appear as they arrive" : "Connecting for live updates…"}</p>
      <div aria-live="polite">
        {fresh.length > 0 && (
          <button type="button" className="pill" onClick={showPending}>
            {fresh.length === 1 ? "1 new post" : `${fresh.length} new posts`}
          </button>
        )}
      </div>
      <Timeline label="Home timeline" list={list} empty="Nothing here yet: follow people, or write the first post." />
    </div>
  );
}
