import { decode } from "blurhash";
import { useMemo, useState } from "react";
import type { MediaAttachment } from "../api/types";

// A blurhash as a tiny picture (a data: URL) shown until the real one has loaded.
const placeholders = new Map<string, string>();
export function blurhashUrl(hash: string | null): string | undefined {
  if (!hash || typeof document === "undefined") return undefined;
  let url = placeholders.get(hash);
  if (url === undefined) {
    try {
      const pixels = decode(hash, 32, 32);
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 32;
      const context = canvas.getContext("2d");
      if (!context) return undefined;
      const image = context.createImageData(32, 32);
      image.data.set(pixels);
      context.putImageData(image, 0, 0);
      url = canvas.toDataURL();
    } catch {
      url = "";
    }
    placeholders.set(hash, url);
  }
  return url || undefined;
}

/** The `srcset` of an attachment: its preview and original with their widths, so the browser picks by screen. */
export function srcSet(media: MediaAttachment): string | undefined {
  const entries: string[] = [];
  if (media.preview_url && media.meta.small?.width) entries.push(`${media.preview_url} ${media.meta.small.width}w`);
  if (media.url && media.meta.original?.width && media.type === "image") entries.push(`${media.url} ${media.meta.original.width}w`);
  return entries.length > 0 ? entries.join(", ") : undefined;
}

function Picture({ media }: { media: MediaAttachment }) {
  const [loaded, setLoaded] = useState(false);
  const placeholder = useMemo(() => blurhashUrl(media.blurhash), [media.blurhash]);
  const size = media.meta.original ?? media.meta.small;
  // Width and height reserve the space before the picture loads: nothing below it moves.
  const width = size?.width ?? 4;
  const height = size?.height ?? 3;
  if (media.type === "video" || media.type === "gifv") {
    return (
      <video controls preload="none" poster={media.preview_url ?? undefined} width={width} height={height}
        aria-label={media.description || "Video"} src={media.url ?? undefined} loop={media.type === "gifv"} />
    );
  }
  return (
    <img src={media.preview_url ?? media.url ?? undefined} srcSet={srcSet(media)} sizes="(max-width: 40rem) 100vw, 40rem"
      alt={media.description} width={width} height={height} loading="lazy" decoding="async"
      className={loaded ? "loaded" : undefined} onLoad={() => setLoaded(true)}
      style={placeholder && !loaded ? { backgroundImage: `url(${placeholder})` } : undefined} />
  );
}

/** A post's pictures and videos, behind a warning when a moderator marked them sensitive. */
export function MediaGrid({ media, sensitive }: { media: MediaAttachment[]; sensitive?: boolean }) {
  const [shown, setShown] = useState(!sensitive);
  if (media.length === 0) return null;
  if (!shown) {
    return (
      <button type="button" className="sensitive" onClick={() => setShown(true)}>
        Sensitive media: show {media.length === 1 ? "it" : `all ${media.length}`}
      </button>
    );
  }
  return (
    <div className={`media media-${Math.min(media.length, 4)}`}>
      {media.map((m) => <Picture key={m.id} media={m} />)}
    </div>
  );
}
