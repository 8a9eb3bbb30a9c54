import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "../api/client";

export const PageSize = 20;

/** Describes why a request failed, for showing to the reader. */
export function problem(caught: unknown): string {
  return ApiError.of(caught).title;
}

/**
 * A newest-first list read page by page with the API's cursor (the Link header's next `max_id`), the next page loading
 * when `sentinel` (an element after the list) comes into view. Items can be changed in place (optimistic updates) and
 * put on top (new ones).
 */
export function usePaged<T extends { id: string }>(path: string | null, map?: (raw: never) => T) {
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(true);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadingRef = useRef(false);
  const pathRef = useRef(path);
  const sentinel = useRef<HTMLDivElement>(null);
  const mapRef = useRef(map);

  const load = useCallback(async (before?: string | null) => {
    const from = pathRef.current;
    if (loadingRef.current || from === null) {
      return;
    }
    loadingRef.current = true;
    setLoading(true);
    try {
      const join = from.includes("?") ? "&" : "?";
      const page = await api.page<never>(`${from}${join}limit=${PageSize}${before ? `&max_id=${encodeURIComponent(before)}` : ""}`);
      if (pathRef.current !== from) return; // the screen moved on to another list
      const found = page.items.map((raw) => (mapRef.current ? mapRef.current(raw) : (raw as T)));
      setItems((current) => (before ? [...current, ...found.filter((p) => !current.some((c) => c.id === p.id))] : found));
      setNext(found.length === PageSize ? page.next : null);
      setError(null);
    } catch (caught) {
      if (pathRef.current === from) setError(problem(caught));
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    pathRef.current = path;
    loadingRef.current = false;
    setItems([]);
    setNext(null);
    setError(null);
    if (path === null) {
      setLoading(false);
    } else {
      void load();
    }
  }, [path, load]);

  useEffect(() => {
    const end = sentinel.current;
    if (!end || next === null || path === null) {
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        void load(next);
      }
    });
    observer.observe(end);
    return () => observer.disconnect();
  }, [next, load, path]);

  return {
    items,
    loading,
    error,
    sentinel,
    setItems,
    reload: () => load(),
    update: (change: (item: T) => T) => setItems((current) => current.map(change)),
    prepend: (fresh: T[]) => setItems((current) => [...fresh.filter((f) => !current.some((c) => c.id === f.id)), ...current]),
  };
}
