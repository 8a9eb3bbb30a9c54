import { useCallback, useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { api, ApiError } from "../api/client";
import type { Account, Me } from "../api/types";
import { AccountRow } from "../components/Avatar";
import { createPasskey, passkeysSupported } from "../lib/passkeys";
import { usePaged } from "../lib/usePaged";
import { useMe } from "../session";

interface Session {
  id: string;
  device: string;
  ip: string;
  created_at: string;
  last_used_at: string;
  current: boolean;
}

interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

interface TwoFactor {
  totp: boolean;
  totp_pending: boolean;
  backup_codes_left: number;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A form's outcome: what went wrong (per field when the API named one), or that it worked. */
/**
 * What `path` answers, read when the section shows (`fallback` if it cannot be read), with a `load` to read it again
 * after a change.
 */
function useLoaded<T>(path: string, fallback: T) {
  const [value, setValue] = useState<T | null>(null);
  const load = useCallback(() => api.get<T>(path).then(setValue, () => setValue(fallback)), [path]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => void load(), [load]);
  return [value, load, setValue] as const;
}

function useOutcome() {
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async (action: () => Promise<void>, saying: string) => {
    setError(null);
    setDone(null);
    try {
      await action();
      setDone(saying);
    } catch (caught) {
      setError(ApiError.of(caught));
    }
  };
  const shown = (
    <>
      {error && <p className="error" role="alert">{Object.values(error.errors)[0]?.[0] ?? error.title}</p>}
      {done && <p role="status">{done}</p>}
    </>
  );
  return { run, shown };
}

/** Settings: privacy and messages, notifications, password, two-factor and passkeys, sessions, your data. */
export function Settings({ onMeChanged }: { onMeChanged: (me: Me) => void }) {
  const me = useMe();
  if (!me) return null;
  return (
    <div className="column settings">
      <h1>Settings</h1>
      <Privacy me={me} onMeChanged={onMeChanged} />
      <NotificationSettings />
      <Password />
      <TwoFactorSettings />
      <Passkeys />
      <Sessions />
      <People title="Blocked accounts" list="/blocks" undo="unblock" label="Unblock" none="You block no one." />
      <People title="Muted accounts" list="/mutes" undo="unmute" label="Unmute" none="You mute no one." />
      <YourData />
    </div>
  );
}

function Privacy({ me, onMeChanged }: { me: Me; onMeChanged: (me: Me) => void }) {
  const ids = useId();
  const [isPrivate, setPrivate] = useState(me.is_private);
  const [dm, setDm] = useState(me.dm_policy);
  const { run, shown } = useOutcome();
  return (
    <Section title="Privacy and messages">
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => onMeChanged(await api.patch<Me>("/accounts/me", { is_private: isPrivate, dm_policy: dm })), "Saved."); }}>
        <div className="check">
          <input id={`${ids}-private`} type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
          <label htmlFor={`${ids}-private`}>Private account: people ask to follow you, and only followers see your posts</label>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-dm`}>Who can message you</label>
          <select id={`${ids}-dm`} value={dm} onChange={(e) => setDm(e.target.value)}>
            <option value="everyone">Everyone</option>
            <option value="followers">People who follow you</option>
            <option value="nobody">Nobody</option>
          </select>
        </div>
        <button type="submit">Save</button>
        {shown}
      </form>
    </Section>
  );
}

const NotificationTypes: [string, string][] = [
  ["follow", "New followers"], ["follow_request", "Follow requests"], ["follow_approved", "Accepted follow requests"], ["like", "Likes"],
  ["comment", "Comments"], ["reply", "Replies"], ["mention", "Mentions"], ["repost", "Reposts"], ["quote", "Quotes"],
];

function NotificationSettings() {
  const ids = useId();
  const [prefs, , setPrefs] = useLoaded<Record<string, boolean>>("/notifications/preferences", {});
  const { run, shown } = useOutcome();
  if (!prefs) return null;
  return (
    <Section title="Notifications">
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => setPrefs(await api.patch<Record<string, boolean>>("/notifications/preferences", prefs)), "Saved."); }}>
        <fieldset>
          <legend>Tell me about</legend>
          {NotificationTypes.map(([type, label]) => (
            <div className="check" key={type}>
              <input id={`${ids}-${type}`} type="checkbox" checked={prefs[type] ?? true} onChange={(e) => setPrefs({ ...prefs, [type]: e.target.checked })} />
              <label htmlFor={`${ids}-${type}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <button type="submit">Save</button>
        {shown}
      </form>
    </Section>
  );
}

function Password() {
  const ids = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { run, shown } = useOutcome();
  function submit(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      await api.post("/accounts/me/password", { current_password: current, new_password: next });
      setCurrent("");
      setNext("");
    }, "Password changed. Your other sessions were signed out.");
  }
  return (
    <Section title="Password">
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${ids}-current`}>Current password</label>
          <input id={`${ids}-current`} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-new`}>New password</label>
          <input id={`${ids}-new`} type="password" autoComplete="new-password" minLength={10} value={next} onChange={(e) => setNext(e.target.value)} required />
        </div>
        <button type="submit">Change password</button>
        {shown}
      </form>
    </Section>
  );
}

function TwoFactorSettings() {
  const ids = useId();
  const [status, load] = useLoaded<TwoFactor | null>("/accounts/me/two_factor", null);
  const [enrolment, setEnrolment] = useState<{ secret: string; qr_svg: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const { run, shown } = useOutcome();
  if (!status) return null;
  return (
    <Section title="Two-factor sign-in">
      {status.totp ? (
        <>
          <p>On: signing in with your password also asks for a code from your authenticator app. {status.backup_codes_left} backup codes left.</p>
          <form onSubmit={(e) => { e.preventDefault(); void run(async () => { await api.post("/accounts/me/two_factor/totp/disable", { password, code }); setCode(""); setPassword(""); await load(); }, "Two-factor sign-in is off."); }}>
            <div className="field">
              <label htmlFor={`${ids}-password`}>Password</label>
              <input id={`${ids}-password`} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={`${ids}-code`}>Code</label>
              <input id={`${ids}-code`} inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
            </div>
            <div className="row">
              <button type="submit">Turn off</button>
              <button type="button" className="quiet" onClick={() => void run(async () => setCodes((await api.post<{ backup_codes: string[] }>("/accounts/me/two_factor/backup_codes", { password, code })).backup_codes), "New backup codes made; the old ones no longer work.")}>
                New backup codes
              </button>
            </div>
          </form>
        </>
      ) : enrolment ? (
        <form onSubmit={(e) => { e.preventDefault(); void run(async () => { setCodes((await api.post<{ backup_codes: string[] }>("/accounts/me/two_factor/totp/confirm", { code })).backup_codes); setEnrolment(null); setCode(""); await load(); }, "Two-factor sign-in is on."); }}>
          <p>Scan this in your authenticator app, or type the key: <code>{enrolment.secret}</code></p>
          <img className="qr" src={`data:image/svg+xml;utf8,${encodeURIComponent(enrolment.qr_svg)}`} alt="QR code of the two-factor key" width={200} height={200} />
          <div className="field">
            <label htmlFor={`${ids}-confirm`}>Code from the app</label>
            <input id={`${ids}-confirm`} inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
          </div>
          <button type="submit">Turn on</button>
        </form>
      ) : (
        <>
          <p>Off. Turn it on to ask for a code from an authenticator app at every password sign-in.</p>
          <button type="button" onClick={() => void run(async () => setEnrolment(await api.post("/accounts/me/two_factor/totp")), "")}>Set up</button>
        </>
      )}
      {codes && (
        <div>
          <p>Backup codes — keep them somewhere safe; each works once:</p>
          <ul className="codes">{codes.map((c) => <li key={c}><code>{c}</code></li>)}</ul>
        </div>
      )}
      {shown}
    </Section>
  );
}

function Passkeys() {
  const ids = useId();
  const [list, load] = useLoaded<Passkey[]>("/accounts/me/passkeys", []);
  const [name, setName] = useState("");
  const { run, shown } = useOutcome();
  if (!list) return null;
  return (
    <Section title="Passkeys">
      <ul className="plain" aria-label="Your passkeys">
        {list.map((p) => (
          <li key={p.id} className="row">
            <span>{p.name}</span>
            <span className="meta">added {new Date(p.created_at).toLocaleDateString()}{p.last_used_at ? `, last used ${new Date(p.last_used_at).toLocaleDateString()}` : ""}</span>
            <button type="button" className="quiet" onClick={() => void run(async () => { await api.delete(`/accounts/me/passkeys/${p.id}`); await load(); }, "Passkey removed.")}>
              Remove<span className="visually-hidden"> {p.name}</span>
            </button>
          </li>
        ))}
      </ul>
      {list.length === 0 && <p className="meta">No passkeys yet: sign in with your device's lock instead of a password.</p>}
      {passkeysSupported() ? (
        <form className="row" onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const answer = await createPasskey(await api.post("/accounts/me/passkeys/options"));
            await api.post("/accounts/me/passkeys", { ...answer, name: name.trim() || "Passkey" });
            setName("");
            await load();
          }, "Passkey added.");
        }}>
          <label htmlFor={`${ids}-name`}>Name</label>
          <input id={`${ids}-name`} value={name} maxLength={64} placeholder="This laptop" onChange={(e) => setName(e.target.value)} />
          <button type="submit">Add a passkey</button>
        </form>
      ) : <p className="meta">This browser cannot make passkeys.</p>}
      {shown}
    </Section>
  );
}

function Sessions() {
  const [list, load] = useLoaded<Session[]>("/sessions", []);
  const { run, shown } = useOutcome();
  if (!list) return null;
  return (
    <Section title="Sessions">
      <ul className="plain" aria-label="Signed-in sessions">
        {list.map((s) => (
          <li key={s.id} className="session">
            <p>{s.device || "Unknown device"}{s.current && <strong> (this one)</strong>}</p>
            <p className="meta">{s.ip} · signed in {new Date(s.created_at).toLocaleString()} · last used {new Date(s.last_used_at).toLocaleString()}</p>
            {!s.current && (
              <button type="button" className="quiet" onClick={() => void run(async () => { await api.delete(`/sessions/${s.id}`); await load(); }, "Signed out.")}>
                Sign out<span className="visually-hidden"> this session</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      {list.length > 1 && (
        <button type="button" onClick={() => void run(async () => { await api.post("/sessions/revoke_others"); await load(); }, "Every other session is signed out.")}>
          Sign out everywhere else
        </button>
      )}
      {shown}
    </Section>
  );
}

/** Accounts you block or mute, each with the way back. */
function People({ title, list, undo, label, none }: { title: string; list: string; undo: string; label: string; none: string }) {
  const people = usePaged<Account>(list);
  const { run, shown } = useOutcome();
  return (
    <Section title={title}>
      <ul className="people" aria-busy={people.loading}>
        {people.items.map((a) => (
          <AccountRow key={a.id} account={a}>
            <button type="button" className="quiet" onClick={() => void run(async () => {
              await api.post(`/accounts/${a.id}/${undo}`);
              people.setItems((all) => all.filter((x) => x.id !== a.id));
            }, "")}>
              {label}<span className="visually-hidden"> {a.username}</span>
            </button>
          </AccountRow>
        ))}
      </ul>
      {!people.loading && people.items.length === 0 && <p className="meta">{none}</p>}
      <div ref={people.sentinel} />
      {shown}
    </Section>
  );
}

function YourData() {
  const ids = useId();
  const [exports, load] = useLoaded<{ id: string; status: string; requested_at: string; download_url: string | null }[]>("/accounts/me/exports", []);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const { run, shown } = useOutcome();

  async function download(id: string, path: string) {
    // The archive is the owner's alone: fetched with the access token, then handed to the browser as a file.
    const response = await fetch(path, { headers: { Authorization: `Bearer ${api.accessToken}` } });
    if (!response.ok) throw await ApiError.from(response);
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = `orleanssocial-${id}.zip`;
    a.click();
    URL.revokeObjectURL(url);
  }

  return (
    <Section title="Your data">
      <button type="button" onClick={() => void run(async () => { await api.post("/accounts/me/export"); await load(); }, "Your archive is being made; it shows here when ready.")}>
        Request an archive
      </button>
      <ul className="plain" aria-label="Archives">
        {(exports ?? []).map((x) => (
          <li key={x.id} className="row">
            <span>{new Date(x.requested_at).toLocaleString()}: {x.status}</span>
            {x.download_url && <button type="button" className="quiet" onClick={() => void run(() => download(x.id, x.download_url!), "")}>Download</button>}
          </li>
        ))}
      </ul>
      <form onSubmit={(e) => {
        e.preventDefault();
        if (!window.confirm("Delete your account? It is hidden at once and erased after 30 days unless you sign in again.")) return;
        void run(async () => { await api.delete("/accounts/me", { password, code: code || undefined }); await api.signOut(); }, "");
      }}>
        <h3>Delete your account</h3>
        <div className="field">
          <label htmlFor={`${ids}-password`}>Password</label>
          <input id={`${ids}-password`} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-code`}>Two-factor code (if it is on)</label>
          <input id={`${ids}-code`} inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
        </div>
        <button type="submit" className="danger">Delete account</button>
      </form>
      {shown}
    </Section>
  );
}
