import { describe, expect, it } from "vitest";
import { API_BASE, ApiClient, ApiError } from "./client";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

// A fake API: tokens "a1"/"r1" from sign-in, "a2"/"r2" from a refresh; requests with an old access token get 401.
function fakeApi() {
  const calls: { path: string; auth?: string; body?: string }[] = [];
  let current = "a1";
  const fetcher = async (path: string, init?: RequestInit) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.Authorization;
    calls.push({ path, auth, body: init?.body as string | undefined });
    if (path === `${API_BASE}/sessions`) {
      return json(200, { access_token: "a1", refresh_token: "r1", expires_in: 900 });
    }
    if (path === `${API_BASE}/sessions/refresh`) {
      await new Promise((r) => setTimeout(r, 10));
      current = "a2";
      return json(200, { access_token: "a2", refresh_token: "r2", expires_in: 900 });
    }
    return auth === `Bearer ${current}` ? json(200, { ok: true }) : json(401, { title: "Unauthorized" });
  };
  return { calls, fetcher, expire: () => (current = "expired") };
}

describe("ApiClient", () => {
  it("refreshes an expired token once for many requests at the same time, then retries each", async () => {
    const fake = fakeApi();
    const client = new ApiClient(fake.fetcher, false);
    await client.signIn("ann", "secret");
    fake.expire();
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => client.get<{ ok: boolean }>("/timelines/home")));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(fake.calls.filter((c) => c.path.endsWith("/sessions/refresh"))).toHaveLength(1);
    expect(client.accessToken).toBe("a2");
  });

  it("sends every call under the one base path", async () => {
    const fake = fakeApi();
    const client = new ApiClient(fake.fetcher, false);
    await client.signIn("ann", "secret");
    await client.get("/accounts/me");
    expect(fake.calls.every((c) => c.path.startsWith(API_BASE + "/"))).toBe(true);
  });

  it("forgets the session when the refresh is refused", async () => {
    const client = new ApiClient(async (path) =>
      path.endsWith("/sessions") ? json(200, { access_token: "a1", refresh_token: "r1", expires_in: 900 }) : json(401, { title: "Unauthorized" }),
      false,
    );
    const seen: boolean[] = [];
    client.onChange((signedIn) => seen.push(signedIn));
    await client.signIn("ann", "secret");
    await expect(client.get("/accounts/me")).rejects.toBeInstanceOf(ApiError);
    expect(client.signedIn).toBe(false);
    expect(seen).toEqual([true, false]);
  });

  it("reads a ProblemDetails answer with the fields it names", async () => {
    const client = new ApiClient(async () =>
      json(400, { title: "One or more validation errors occurred.", errors: { password: ["Give the password."] } }),
    );
    const error = await client.signIn("ann", "").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).field("password")).toBe("Give the password.");
  });

  it("in a browser asks for the refresh cookie, never holds the refresh token, and restores the session from the cookie", async () => {
    const sent: { path: string; headers: Record<string, string>; body?: string }[] = [];
    const client = new ApiClient(async (path, init) => {
      sent.push({ path, headers: init?.headers as Record<string, string>, body: init?.body as string | undefined });
      return json(200, { access_token: "a9", refresh_token: "", expires_in: 900 });
    });
    expect(await client.restore()).toBe(true);
    expect(client.accessToken).toBe("a9");
    expect(sent[0].path).toBe(`${API_BASE}/sessions/refresh`);
    expect(sent[0].headers["X-Refresh-Cookie"]).toBe("1");
    expect(sent[0].body).toBe("{}");
  });

  it("answers a second factor challenge instead of tokens when the account has one", async () => {
    const client = new ApiClient(async () => json(200, { mfa_required: true, mfa_token: "m1", methods: ["totp"] }));
    expect(await client.signIn("ann", "secret")).toEqual({ kind: "mfa", token: "m1", methods: ["totp"] });
    expect(client.signedIn).toBe(false);
  });
});

describe("ApiClient lists", () => {
  it("reads a page's items and the next page's cursor from its Link header", async () => {
    const client = new ApiClient(async (path) => {
      expect(path).toBe(`${API_BASE}/bookmarks?limit=2`);
      return new Response(JSON.stringify([{ id: "b" }, { id: "a" }]), {
        status: 200,
        headers: { "Content-Type": "application/json", Link: '<http://x/api/v1/bookmarks?limit=2&max_id=17>; rel="next", <http://x/api/v1/bookmarks?min_id=20>; rel="prev"' },
      });
    }, false);
    const page = await client.page<{ id: string }>("/bookmarks?limit=2");
    expect(page).toEqual({ items: [{ id: "b" }, { id: "a" }], next: "17" });
  });

  it("turns a refused list into an ApiError naming the field", async () => {
    const client = new ApiClient(async () => json(400, { title: "The page parameters are invalid.", errors: { limit: ["limit must be a whole number from 1 to 40."] } }), false);
    const error = await client.page("/bookmarks?limit=0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).field("limit")).toBe("limit must be a whole number from 1 to 40.");
  });
});
