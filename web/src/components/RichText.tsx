import { Fragment } from "react";
import { Link } from "./Link";

// Hashtags, mentions and web links in a post's or comment's text.
const Token = /(#[\p{L}\p{N}_]+|@[A-Za-z0-9_]+|https?:\/\/[^\s<>"]+)/gu;

export type Piece =
  | { kind: "text"; text: string }
  | { kind: "tag"; text: string; tag: string }
  | { kind: "mention"; text: string; id: string }
  | { kind: "url"; text: string; href: string };

/** Splits text into plain runs and links: a mention only links when the post names the account it resolved to. */
export function pieces(text: string, mentions: { id: string; username: string }[] = []): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const match of text.matchAll(Token)) {
    const token = match[0];
    const start = match.index ?? 0;
    // A token glued to a word (e.g. an email address) is text.
    if (start > 0 && /[\p{L}\p{N}_]/u.test(text[start - 1])) continue;
    if (start > at) out.push({ kind: "text", text: text.slice(at, start) });
    if (token.startsWith("#")) {
      out.push({ kind: "tag", text: token, tag: token.slice(1).toLowerCase() });
    } else if (token.startsWith("@")) {
      const account = mentions.find((m) => m.username.toLowerCase() === token.slice(1).toLowerCase());
      out.push(account ? { kind: "mention", text: token, id: account.id } : { kind: "text", text: token });
    } else {
      const trimmed = token.replace(/[.,;:!?)]+$/, "");
      out.push({ kind: "url", text: trimmed, href: trimmed });
      if (trimmed.length < token.length) out.push({ kind: "text", text: token.slice(trimmed.length) });
    }
    at = start + token.length;
  }
  if (at < text.length) out.push({ kind: "text", text: text.slice(at) });
  return out;
}

export function RichText({ text, mentions }: { text: string; mentions?: { id: string; username: string }[] }) {
  return (
    <p className="text">
      {pieces(text, mentions).map((p, i) => (
        <Fragment key={i}>
          {p.kind === "tag" ? <Link to={`/tags/${encodeURIComponent(p.tag)}`}>{p.text}</Link>
            : p.kind === "mention" ? <Link to={`/accounts/${p.id}`}>{p.text}</Link>
            : p.kind === "url" ? <a href={p.href} rel="noopener noreferrer nofollow ugc" target="_blank">{p.text}</a>
            : p.text}
        </Fragment>
      ))}
    </p>
  );
}
