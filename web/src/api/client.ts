// The one module that talks to the OrleansSocial API: base path, tokens and their refresh, ProblemDetails errors, and
// the live events' SignalR connection. Every screen calls through it, so moving the native API (should a
// Mastodon-compatible API take /api/v1) is the one line below.
import { HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";

export const API_BASE = "/api/v1";
export const HUB_URL = "/hubs/events";

/** An RFC 7807 ProblemDetails answer, with the fields it names when the input was refused. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly errors: Record<string, string[]> = {},
    readonly detail?: string,
  ) {
    super(detail ? `${title} ${detail}` : title);
  }

  /** The first message about one field, for showing next to it. */
  field(name: string): string | undefined {
    return this.errors[name]?.[0];
  }

  /** What went wrong, as an ApiError: the API's own refusal, or "unreachable" for anything else (a network failure). */
  static of(caught: unknown): ApiError {
    return caught instanceof ApiError ? caught : new ApiError(0, "The server could not be reached.");
  }

  static async from(response: Response): Promise<ApiError> {
    let body: { title?: string; detail?: string; errors?: Record<string, string[]> } = {};
    try {
      body = await response.json();
    } catch {
      // not JSON: the status says enough
    }
    return new ApiError(response.status, body.title ?? response.statusText ?? "Request failed", body.errors ?? {}, body.detail);
  }
}

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

interface MfaRequired {
  mfa_required: true;
  mfa_token: string;
  methods: string[];
}

export type SignInResult = { kind: "signed-in" } | { kind: "mfa"; token: string; methods: string[] };

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Holds the access token in memory only (never in storage), refreshes it once per expiry however many requests find it
 * expired at the same time, and turns refused answers into {@link ApiError}. In a browser (`cookieSession`) the refresh
 * token is an httpOnly cookie the API sets (asked for with the `X-Refresh-Cookie` header, which is also what lets a
 * refresh read it): scripts never see it, and a reload restores the session with {@link restore}.
 */
export class ApiClient {
  private access: string | null = null;
  private refreshToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<(signedIn: boolean) => void>();
  private hub: HubConnection | null = null;
  private live = false;
  private readonly liveListeners = new Set<(live: boolean) => void>();

  constructor(
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
    private readonly cookieSession = true,
  ) {}

  /** Picks up the session the refresh cookie holds (after a reload); false when there is none. */
  async restore(): Promise<boolean> {
    return this.cookieSession && (await this.refresh());
  }

  get signedIn(): boolean {
    return this.access !== null;
  }

  /** The current access token (for the SignalR connection). */
  get accessToken(): string | null {
    return this.access;
  }

  onChange(listener: (signedIn: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signIn(login: string, password: string): Promise<SignInResult> {
    return this.settle(await this.send<TokenResponse | MfaRequired>("POST", "/sessions", { login, password }, false));
  }

  // Tokens, or the second factor a sign-in still owes.
  private settle(answer: TokenResponse | MfaRequired): SignInResult {
    if ("mfa_required" in answer) {
      return { kind: "mfa", token: answer.mfa_token, methods: answer.methods };
    }
    this.keep(answer);
    return { kind: "signed-in" };
  }

  async completeSignIn(mfaToken: string, code: string): Promise<void> {
    this.keep(await this.send<TokenResponse>("POST", "/sessions/mfa", { mfa_token: mfaToken, code }, false));
  }

  /**
   * Signs in with a passkey: `assert` runs the browser's WebAuthn ceremony on the options the API gives. With an
   * `mfaToken` the passkey is the second factor of a password sign-in; without, it signs in alone (no username).
   */
  async signInWithPasskey(
    assert: (ceremony: { ceremony_id: string; options: unknown }) => Promise<{ ceremony_id: string; credential: unknown }>,
    mfaToken?: string,
  ): Promise<void> {
    const ceremony = await this.send<{ ceremony_id: string; options: unknown }>("POST",
      mfaToken ? "/sessions/mfa/passkey_options" : "/sessions/passkey/options", mfaToken ? { mfa_token: mfaToken } : {}, false);
    const answer = await assert(ceremony);
    this.keep(await this.send<TokenResponse>("POST", mfaToken ? "/sessions/mfa" : "/sessions/passkey",
      mfaToken ? { mfa_token: mfaToken, ...answer } : answer, false));
  }

  /** Signs in with the one-time link from an email (its token); a second factor may still be asked. */
  async signInWithLink(token: string): Promise<SignInResult> {
    return this.settle(await this.send<TokenResponse | MfaRequired>("POST", "/sessions/link", { token }, false));
  }

  async signUp(username: string, email: string, password: string): Promise<void> {
    await this.send("POST", "/accounts", { username, email, password }, false);
  }

  async signOut(): Promise<void> {
    try {
      if (this.access) {
        await this.send("DELETE", "/sessions/current");
      }
    } finally {
      this.forget();
    }
  }

  /**
   * The session's live events (one SignalR connection, started on first use, reconnecting by itself, closed at sign
   * out). Subscribe with `on(name, handler)` and unsubscribe with `off`.
   */
  events(): HubConnection {
    if (this.hub === null) {
      const hub = new HubConnectionBuilder()
        .withUrl(HUB_URL, { accessTokenFactory: () => this.freshAccessToken() })
        .withAutomaticReconnect()
        .configureLogging(LogLevel.Warning)
        .build();
      this.hub = hub;
      // `ready` comes once the server's subscription is live: from then on no event is missed.
      hub.on("ready", () => this.setLive(true));
      hub.onreconnecting(() => this.setLive(false));
      hub.onclose(() => this.setLive(false));
      void hub.start().catch(() => undefined); // offline: the screens still work over REST
    }
    return this.hub;
  }

  /** Subscribes to several live events at once; the function returned unsubscribes them all. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event has its own payload
  on(handlers: Record<string, (payload: any) => void>): () => void {
    const hub = this.events();
    for (const [name, handler] of Object.entries(handlers)) hub.on(name, handler);
    return () => {
      for (const [name, handler] of Object.entries(handlers)) hub.off(name, handler);
    };
  }

  /** Whether live events are flowing (the server said `ready` on the current connection). */
  get eventsLive(): boolean {
    return this.live;
  }

  onEventsLive(listener: (live: boolean) => void): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  private setLive(live: boolean): void {
    if (this.live !== live) {
      this.live = live;
      this.liveListeners.forEach((l) => l(live));
    }
  }

  // The access token for a (re)connection, refreshed first when it expires within half a minute.
  private async freshAccessToken(): Promise<string> {
    const expires = this.access ? expiryOf(this.access) : 0;
    if (this.access && expires - Date.now() < 30_000) {
      await this.refresh();
    }
    return this.access ?? "";
  }

  get<T>(path: string): Promise<T> {
    return this.send<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>("POST", path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>("PUT", path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>("PATCH", path, body);
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>("DELETE", path, body);
  }

  /** A request with the access token; an expired one is refreshed (once, shared) and the request tried again. */
  async send<T>(method: string, path: string, body?: unknown, authorized = true): Promise<T> {
    return (await this.answer<T>(method, path, body, authorized)).body;
  }

  /**
   * One page of a list: its items and the cursor of the next page (the `max_id` of the Link header's `rel="next"`),
   * null after the last page.
   */
  async page<T>(path: string): Promise<{ items: T[]; next: string | null }> {
    const { body, response } = await this.answer<T[]>("GET", path);
    return { items: body ?? [], next: nextCursor(response.headers.get("Link")) };
  }

  /**
   * Uploads a form (multipart) with progress: fetch cannot report an upload's progress, so this one request goes
   * through XMLHttpRequest, with the same token refresh and errors as every other.
   */
  async upload<T>(path: string, form: FormData, onProgress?: (fraction: number) => void, method = "POST"): Promise<T> {
    const once = () =>
      new Promise<{ status: number; text: string; type: string }>((resolve, reject) => {
        const request = new XMLHttpRequest();
        request.open(method, API_BASE + path);
        if (this.access) request.setRequestHeader("Authorization", `Bearer ${this.access}`);
        request.upload.onprogress = (e) => {
          if (e.lengthComputable) onProgress?.(e.loaded / e.total);
        };
        request.onload = () => resolve({ status: request.status, text: request.responseText, type: request.getResponseHeader("Content-Type") ?? "" });
        request.onerror = () => reject(ApiError.of(null));
        request.send(form);
      });
    let result = await once();
    if (result.status === 401 && (await this.refresh())) {
      result = await once();
    }
    const response = new Response(result.text.length === 0 ? null : result.text, { status: result.status, headers: { "Content-Type": result.type } });
    if (!response.ok) {
      throw await ApiError.from(response);
    }
    return (result.text.length === 0 ? undefined : JSON.parse(result.text)) as T;
  }

  private async answer<T>(method: string, path: string, body?: unknown, authorized = true): Promise<{ body: T; response: Response }> {
    let response = await this.fetchOnce(method, path, body, authorized);
    if (response.status === 401 && authorized && (this.cookieSession || this.refreshToken !== null) && (await this.refresh())) {
      response = await this.fetchOnce(method, path, body, authorized);
    }
    if (response.status === 401 && authorized) {
      this.forget();
    }
    if (!response.ok) {
      throw await ApiError.from(response);
    }
    const text = await response.text();
    return { body: (text.length === 0 ? undefined : JSON.parse(text)) as T, response };
  }

  private fetchOnce(method: string, path: string, body: unknown, authorized: boolean): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (authorized && this.access) {
      headers["Authorization"] = `Bearer ${this.access}`;
    }
    if (this.cookieSession && path.startsWith("/sessions")) {
      headers["X-Refresh-Cookie"] = "1";
    }
    return this.fetcher(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  }

  /** Rotates the refresh token; concurrent callers share one rotation (a second would reuse a spent token and end the session). */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const body = this.cookieSession ? {} : { refresh_token: this.refreshToken };
        const response = await this.fetchOnce("POST", "/sessions/refresh", body, false);
        if (!response.ok) {
          this.forget();
          return false;
        }
        this.keep((await response.json()) as TokenResponse);
        return true;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private keep(tokens: TokenResponse): void {
    const wasSignedIn = this.signedIn;
    this.access = tokens.access_token;
    this.refreshToken = tokens.refresh_token || null; // empty in a cookie session
    if (!wasSignedIn) {
      this.listeners.forEach((l) => l(true));
    }
  }

  private forget(): void {
    const wasSignedIn = this.signedIn;
    this.access = null;
    this.refreshToken = null;
    void this.hub?.stop();
    this.hub = null;
    this.setLive(false);
    if (wasSignedIn) {
      this.listeners.forEach((l) => l(false));
    }
  }
}

/** The `max_id` of a Link header's `rel="next"` page; null when there is none. */
export function nextCursor(link: string | null): string | null {
  const next = link?.split(",").find((part) => /rel="next"/.test(part));
  const url = next?.match(/<([^>]*)>/)?.[1];
  if (!url) return null;
  return new URL(url, "http://any").searchParams.get("max_id");
}

/** When a JWT expires (ms since the epoch); 0 when it cannot be read. */
export function expiryOf(token: string): number {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return (JSON.parse(atob(payload)) as { exp?: number }).exp! * 1000 || 0;
  } catch {
    return 0;
  }
}

export const api = new ApiClient();
