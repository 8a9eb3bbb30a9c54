import { useEffect, useState } from "react";

// Client routes on the History API: the front end answers every path that is not /api, /hubs, /media or a file with
// index.html, so a reload lands on the same screen.
// `replace`: instead of the current entry (a page that only leads on, which Back should skip).
export function navigate(path: string, { replace = false } = {}): void {
  if (path !== window.location.pathname + window.location.search) {
    if (replace) window.history.replaceState(null, "", path);
    else window.history.pushState(null, "", path);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }
}

/** The current location's path and query string. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname + window.location.search);
  useEffect(() => {
    const changed = () => setPath(window.location.pathname + window.location.search);
    window.addEventListener("popstate", changed);
    return () => window.removeEventListener("popstate", changed);
  }, []);
  return path;
}

/** The query string's value of `name` on the current location. */
export function useQueryParam(name: string): string {
  const path = usePath();
  const [value, setValue] = useState(() => new URLSearchParams(window.location.search).get(name) ?? "");
  useEffect(() => {
    setValue(new URLSearchParams(window.location.search).get(name) ?? "");
  }, [path, name]);
  return value;
}
