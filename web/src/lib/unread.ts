import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { NotificationEvent } from "../api/types";

// The unread notification count: read once when signed in, then kept by the live `notification` events (each carries
// the inbox's count) and by marking read here.
let count = 0;
const listeners = new Set<(n: number) => void>();

export function setUnread(n: number): void {
  count = n;
  listeners.forEach((l) => l(n));
}

export function useUnreadNotifications(signedIn: boolean): number {
  const [n, setN] = useState(count);
  useEffect(() => {
    listeners.add(setN);
    return () => void listeners.delete(setN);
  }, []);
  useEffect(() => {
    if (!signedIn) {
      setUnread(0);
      return;
    }
    const arrived = (e: NotificationEvent) => setUnread(e.unread_count);
    // After a (re)connection the count is read again: events missed while offline are not replayed.
    const live = (on: boolean) => {
      if (on) void api.get<{ count: number }>("/notifications/unread_count").then((r) => setUnread(r.count), () => undefined);
    };
    const unsubscribe = api.on({ notification: arrived });
    const stop = api.onEventsLive(live);
    live(true);
    return () => {
      unsubscribe();
      stop();
    };
  }, [signedIn]);
  return n;
}
