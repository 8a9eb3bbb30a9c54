import { useEffect, useState } from "react";
import { api } from "../api/client";

/** Whether the session's live events flow right now (the hub said `ready`); connects if nothing has yet. */
export function useLive(): boolean {
  const [live, setLive] = useState(api.eventsLive);
  useEffect(() => {
    api.events();
    const stop = api.onEventsLive(setLive);
    setLive(api.eventsLive);
    return stop;
  }, []);
  return live;
}
