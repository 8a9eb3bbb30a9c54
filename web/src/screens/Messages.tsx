import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { Account } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Link } from "../components/Link";
import { Skeletons } from "../components/PostCard";
import { useLive } from "../lib/useLive";
import { problem, usePaged } from "../lib/usePaged";
import { navigate } from "../router";
import { useMe } from "../session";

interface Member {
  account: Account;
  role: string;
  last_read_id: string;
}

interface Conversation {
  id: string;
  kind: string;
  title: string | null;
  members: Member[];
  last_message_id: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  sender_id: string;
  client_id: string;
  text: string | null;
  created_at: string;
  edited_at?: string | null;
  deleted?: boolean;
  read_at?: string | null;
  story?: { id: string; kind: string; live: boolean; caption?: string | null } | null;
  pending?: boolean;
  failed?: string;
}

interface ListItem {
  id: string;
  conversation: Conversation;
  last_message: Message | null;
  unread_count: number;
}

interface Presence {
  account_id: string;
  online: boolean;
  last_seen_at: string | null;
}

function title(c: Conversation, me: string | undefined): string {
  if (c.title) return c.title;
  const others = c.members.filter((m) => m.account.id !== me).map((m) => displayName(m.account));
  return others.length > 0 ? others.join(", ") : "Just you";
}

/** Your conversations, most recent first, each with its newest message and unread count; kept current live. */
export function Conversations() {
  const me = useMe();
  const list = usePaged<ListItem>("/conversations");
  useEffect(() => {
    const changed = () => void list.reload();
    return api.on({ message: changed, conversation_updated: changed });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- list's functions only change state
  }, []);
  return (
    <div className="column">
      <h1>Messages</h1>
      {list.error && <p className="error" role="alert">{list.error}</p>}
      <ul className="conversations" aria-label="Conversations" aria-busy={list.loading}>
        {list.items.map(({ conversation: c, last_message: last, unread_count }) => {
          const other = c.members.find((m) => m.account.id !== me?.id)?.account;
          return (
            <li key={c.id} className={`card${unread_count > 0 ? " unread" : ""}`}>
              {other && <Avatar account={other} size={40} />}
              <div>
                <Link to={`/messages/${c.id}`} className="author">{title(c, me?.id)}</Link>
                {unread_count > 0 && <span className="badge" aria-label={`${unread_count} unread`}>{unread_count}</span>}
                <p className="meta">{last ? (last.deleted ? "Message deleted" : last.text ?? "") : "No messages yet"}</p>
              </div>
            </li>
          );
        })}
      </ul>
      {list.loading && list.items.length === 0 && <Skeletons count={2} />}
      {!list.loading && list.items.length === 0 && !list.error && <p className="empty">No conversations yet: message someone from their profile.</p>}
      <div ref={list.sentinel} />
    </div>
  );
}

/** Opens (or creates) the direct conversation with an account, then shows it. */
export function NewConversation({ accountId }: { accountId: string }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.post<Conversation>("/conversations", { participant_ids: [accountId] })
      .then((c) => navigate(`/messages/${c.id}`, { replace: true }), (caught) => setError(caught instanceof ApiError && caught.status === 403 ? "This account does not take messages from you." : problem(caught)));
  }, [accountId]);
  return <div className="column">{error ? <p className="error" role="alert">{error}</p> : <Skeletons count={1} />}</div>;
}

const TypingEvery = 3000;
const TypingShownFor = 6000;

/**
 * A conversation: its history (older pages load when scrolled to the top), new messages live, who is typing, read
 * receipts ("Seen") and the other person's presence.
 */
export function Thread({ id }: { id: string }) {
  const me = useMe();
  const ids = useId();
  const live = useLive();
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]); // oldest first
  const [older, setOlder] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typing, setTyping] = useState<Record<string, number>>({});
  const [presence, setPresence] = useState<Presence | null>(null);
  const [text, setText] = useState("");
  const lastTyping = useRef(0);
  const bottom = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  const other = conversation?.kind === "direct" ? conversation.members.find((m) => m.account.id !== me?.id) : undefined;

  useEffect(() => {
    let current = true;
    setConversation(null);
    setMessages([]);
    setError(null);
    void (async () => {
      try {
        const [c, page] = await Promise.all([api.get<Conversation>(`/conversations/${id}`), api.page<Message>(`/conversations/${id}/messages?limit=30`)]);
        if (!current) return;
        setConversation(c);
        setMessages(page.items.slice().reverse());
        setOlder(page.items.length === 30 ? page.next : null);
      } catch (caught) {
        if (current) setError(caught instanceof ApiError && caught.status === 404 ? "This conversation does not exist, or you are not in it." : problem(caught));
      }
    })();
    return () => {
      current = false;
    };
  }, [id]);

  // Presence of the other person of a direct conversation.
  useEffect(() => {
    if (!other) return;
    api.get<Presence>(`/accounts/${other.account.id}/presence`).then(setPresence, () => undefined);
  }, [other?.account.id]);

  // Live: messages, typing, read receipts, presence, membership.
  useEffect(() => {
    const message = (m: Message) => {
      if (m.conversation_id !== id) return;
      setMessages((all) => {
        const at = all.findIndex((x) => x.client_id === m.client_id && x.sender_id === m.sender_id);
        if (at >= 0) return all.map((x, i) => (i === at ? { ...x, ...m, pending: false } : x));
        return [...all, m];
      });
      setTyping((t) => {
        const rest = { ...t };
        delete rest[m.sender_id];
        return rest;
      });
    };
    const edited = (m: Message) => m.conversation_id === id && setMessages((all) => all.map((x) => (x.id === m.id ? { ...x, ...m } : x)));
    const typingStarted = (e: { conversation_id: string; account_id: string }) =>
      e.conversation_id === id && e.account_id !== me?.id && setTyping((t) => ({ ...t, [e.account_id]: Date.now() + TypingShownFor }));
    const typingStopped = (e: { conversation_id: string; account_id: string }) =>
      e.conversation_id === id && setTyping((t) => {
        const rest = { ...t };
        delete rest[e.account_id];
        return rest;
      });
    const read = (e: { conversation_id: string; account_id: string; last_read_id: string }) =>
      e.conversation_id === id && setConversation((c) => c && {
        ...c, members: c.members.map((m) => (m.account.id === e.account_id ? { ...m, last_read_id: e.last_read_id } : m)),
      });
    const present = (p: Presence) => setPresence((current) => (current && current.account_id === p.account_id ? p : current));
    const updated = (e: { conversation_id: string }) => {
      if (e.conversation_id === id) void api.get<Conversation>(`/conversations/${id}`).then(setConversation, () => setError("You are no longer in this conversation."));
    };
    return api.on({
      message, message_updated: edited, message_deleted: edited, typing: typingStarted, typing_stopped: typingStopped, read,
      presence: present, conversation_updated: updated,
    });
  }, [id, me?.id]);

  // A typing signal not renewed fades by itself.
  useEffect(() => {
    const names = Object.keys(typing);
    if (names.length === 0) return;
    const tick = window.setTimeout(() => setTyping((t) => Object.fromEntries(Object.entries(t).filter(([, until]) => until > Date.now()))), 1000);
    return () => window.clearTimeout(tick);
  }, [typing]);

  // What is on screen is read: the read pointer moves to the newest message from someone else.
  const newestFromOthers = [...messages].reverse().find((m) => m.sender_id !== me?.id && !m.pending);
  const myPointer = conversation?.members.find((m) => m.account.id === me?.id)?.last_read_id;
  useEffect(() => {
    if (!newestFromOthers || document.visibilityState !== "visible") return;
    if (myPointer !== undefined && Number(myPointer) >= Number(newestFromOthers.id)) return;
    void api.post(`/conversations/${id}/read`, { message_id: newestFromOthers.id }).then(() =>
      setConversation((c) => c && { ...c, members: c.members.map((m) => (m.account.id === me?.id ? { ...m, last_read_id: newestFromOthers.id } : m)) }), () => undefined);
  }, [newestFromOthers?.id, myPointer, id, me?.id]);

  // Stay at the newest message while the reader is there.
  useLayoutEffect(() => {
    if (stick.current) bottom.current?.scrollIntoView({ block: "end" });
  }, [messages.length, Object.keys(typing).length]);
  useEffect(() => {
    const onScroll = () => {
      stick.current = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, []);

  // Older messages load when the top of the history comes into view.
  useEffect(() => {
    const edge = top.current;
    if (!edge || older === null) return;
    const observer = new IntersectionObserver(async (entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      try {
        const page = await api.page<Message>(`/conversations/${id}/messages?limit=30&max_id=${older}`);
        stick.current = false;
        setMessages((all) => [...page.items.slice().reverse().filter((m) => !all.some((x) => x.id === m.id)), ...all]);
        setOlder(page.items.length === 30 ? page.next : null);
      } catch (caught) {
        setError(problem(caught));
      }
    });
    observer.observe(edge);
    return () => observer.disconnect();
  }, [older, id]);

  function changed(value: string) {
    setText(value);
    const now = Date.now();
    if (value.length > 0 && now - lastTyping.current > TypingEvery && live) {
      lastTyping.current = now;
      void api.events().invoke("Typing", id).catch(() => undefined);
    }
  }

  async function send(e: FormEvent) {
    e.preventDefault();
    const body = text.trim();
    if (!body || !me) return;
    const client_id = crypto.randomUUID();
    const draft: Message = { id: `pending-${client_id}`, conversation_id: id, sender_id: me.id, client_id, text: body, created_at: new Date().toISOString(), pending: true };
    setText("");
    stick.current = true;
    setMessages((all) => [...all, draft]);
    lastTyping.current = 0;
    try {
      const sent = await api.post<Message>(`/conversations/${id}/messages`, { client_id, text: body });
      setMessages((all) => all.map((m) => (m.client_id === client_id && m.sender_id === me.id ? { ...m, ...sent, pending: false } : m)));
    } catch (caught) {
      const why = caught instanceof ApiError ? caught.field("text") ?? caught.title : problem(caught);
      setMessages((all) => all.map((m) => (m.client_id === client_id ? { ...m, pending: false, failed: why } : m)));
    }
  }

  if (error && !conversation) return <div className="column"><p className="error" role="alert">{error}</p></div>;
  if (!conversation) return <div className="column"><Skeletons count={2} /></div>;
  // Read receipts: the newest of my messages each other member has read up to.
  const others = conversation.members.filter((m) => m.account.id !== me?.id);
  const mine = messages.filter((m) => m.sender_id === me?.id && !m.pending && !m.failed);
  const seenBy = (m: Message) => others.filter((o) => Number(o.last_read_id) >= Number(m.id));
  const lastSeen = [...mine].reverse().find((m) => seenBy(m).length > 0);
  const typers = Object.keys(typing).map((who) => conversation.members.find((m) => m.account.id === who)?.account).filter((a): a is Account => !!a);

  return (
    <div className="column thread" data-live={live}>
      <header className="row thread-head">
        <Link to="/messages" className="quiet">← Messages</Link>
        <h1>{title(conversation, me?.id)}</h1>
        {other && presence && (
          <span className={`presence${presence.online ? " online" : ""}`} data-online={presence.online}>
            {presence.online ? "Online" : presence.last_seen_at ? `Last seen ${new Date(presence.last_seen_at).toLocaleString()}` : "Offline"}
          </span>
        )}
      </header>
      {error && <p className="error" role="alert">{error}</p>}
      <div ref={top} />
      <ol className="messages" aria-label="Messages" aria-live="polite">
        {messages.map((m) => {
          const sender = conversation.members.find((x) => x.account.id === m.sender_id)?.account;
          return (
            <li key={m.client_id + m.sender_id} className={`message${m.sender_id === me?.id ? " mine" : ""}`}>
              {conversation.kind !== "direct" && m.sender_id !== me?.id && <span className="meta">{sender ? displayName(sender) : "Someone"}</span>}
              {m.story && <span className="meta">{m.story.kind === "reaction" ? "Reacted to your story" : m.story.kind === "mention" ? "Mentioned you in a story" : "Replied to a story"}</span>}
              <p className="bubble">{m.deleted ? <em>Message deleted</em> : m.text}</p>
              <span className="meta">
                <time dateTime={m.created_at}>{new Date(m.created_at).toLocaleTimeString()}</time>
                {m.pending && " · sending…"}
                {m.failed && <span className="error" role="alert"> · not sent: {m.failed}</span>}
                {lastSeen?.id === m.id && <span className="seen"> · Seen{conversation.kind !== "direct" ? ` by ${seenBy(m).map((o) => o.account.username).join(", ")}` : ""}</span>}
              </span>
            </li>
          );
        })}
      </ol>
      <p className="meta typing" aria-live="polite">
        {typers.length > 0 ? `${typers.map((a) => displayName(a)).join(", ")} ${typers.length === 1 ? "is" : "are"} typing…` : ""}
      </p>
      <div ref={bottom} />
      <form className="row composer-line" onSubmit={send}>
        <label htmlFor={`${ids}-text`} className="visually-hidden">Message</label>
        <input id={`${ids}-text`} value={text} maxLength={2000} autoComplete="off" placeholder="Message" onChange={(e) => changed(e.target.value)} />
        <button type="submit" disabled={text.trim().length === 0}>Send</button>
      </form>
    </div>
  );
}

/** The number of unread messages across your conversations: read at start, again after live message and read events. */
export function useUnreadMessages(signedIn: boolean, path: string): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!signedIn) {
      setCount(0);
      return;
    }
    let timer = 0;
    const read = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void api.get<{ count: number }>("/conversations/unread_count").then((r) => setCount(r.count), () => undefined), 300);
    };
    const unsubscribe = api.on({ message: read, read });
    const stop = api.onEventsLive((live) => live && read());
    read();
    return () => {
      window.clearTimeout(timer);
      unsubscribe();
      stop();
    };
  }, [signedIn, path]);
  return count;
}
