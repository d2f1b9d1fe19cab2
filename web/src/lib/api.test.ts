import { describe, expect, it } from "vitest";
import { fakeLocks } from "../test/fakes";
import { ApiClient, ApiError, REFRESH_MARGIN_MS, type SessionKeeper } from "./api";
import type { Session } from "./types";

const user = { id: "u1", username: "alice", displayName: "Alice", createdAt: "2026-11-24T12:00:00.000Z" };

/** One tab's session, and what every tab sees saved (localStorage), shared when given. */
function keeper(
  session: Session | null,
  storage: { saved: Session | null } = { saved: session },
): SessionKeeper & { current: Session | null } {
  const box = {
    current: session,
    get: () => box.current,
    set: (next: Session | null) => {
      box.current = next;
      storage.saved = next;
    },
    saved: () => storage.saved,
  };
  return box;
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

describe("ApiClient token handling", () => {
  it("refreshes before the access token expires, then uses the new one", async () => {
    const now = 1_000_000;
    const sessions = keeper({
      user,
      accessToken: "old",
      refreshToken: "r1",
      expiresAt: now + REFRESH_MARGIN_MS - 1,
    });
    const calls: Array<{ url: string; auth?: string }> = [];
    const fetchImpl = async (url: string, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
      calls.push({ url, auth });
      if (url.endsWith("/api/auth/refresh"))
        return json(200, { accessToken: "new", refreshToken: "r2", expiresIn: 900 });
      return json(200, user);
    };
    const api = new ApiClient(
      "http://x",
      sessions,
      () => {},
      fetchImpl,
      () => now,
    );
    await api.user("u1");
    expect(calls.map((c) => c.url)).toEqual(["http://x/api/auth/refresh", "http://x/api/users/u1"]);
    expect(calls[1]?.auth).toBe("Bearer new");
    expect(sessions.current?.refreshToken).toBe("r2");
    expect(sessions.current?.expiresAt).toBe(now + 900_000);
  });

  it("refreshes once on a 401 and retries the request once", async () => {
    const sessions = keeper({
      user,
      accessToken: "revoked",
      refreshToken: "r1",
      expiresAt: Date.now() + 600_000,
    });
    let userCalls = 0;
    const fetchImpl = async (url: string) => {
      if (url.endsWith("/refresh"))
        return json(200, { accessToken: "fresh", refreshToken: "r2", expiresIn: 900 });
      userCalls += 1;
      return userCalls === 1
        ? json(401, { error: { code: "not_authenticated", message: "expired" } })
        : json(200, user);
    };
    const api = new ApiClient("http://x", sessions, () => {}, fetchImpl);
    await expect(api.user("u1")).resolves.toEqual(user);
    expect(userCalls).toBe(2);
  });

  it("shares one refresh between concurrent requests (a refresh token is single-use)", async () => {
    const sessions = keeper({ user, accessToken: "a", refreshToken: "r1", expiresAt: 0 });
    let refreshes = 0;
    const fetchImpl = async (url: string) => {
      if (url.endsWith("/refresh")) {
        refreshes += 1;
        return json(200, { accessToken: "b", refreshToken: "r2", expiresIn: 900 });
      }
      return json(200, user);
    };
    const api = new ApiClient("http://x", sessions, () => {}, fetchImpl);
    await Promise.all([api.user("1"), api.user("2"), api.user("3")]);
    expect(refreshes).toBe(1);
  });

  it("notes when a login began at log-in and sign-up, and keeps it through refreshes", async () => {
    let now = 1_000_000;
    const sessions = keeper(null);
    let pair = 0;
    const fetchImpl = async () => {
      pair += 1;
      return json(200, { user, accessToken: `a${pair}`, refreshToken: `r${pair}`, expiresIn: 900 });
    };
    const api = new ApiClient(
      "http://x",
      sessions,
      () => {},
      fetchImpl,
      () => now,
    );
    await api.login("alice", "correct horse");
    expect(sessions.current?.loggedInAt).toBe(1_000_000);
    now += 1_000;
    expect(await api.refresh()).toBe(true);
    expect(sessions.current).toMatchObject({ refreshToken: "r2", loggedInAt: 1_000_000 });
    await api.signup("alice2", "correct horse");
    expect(sessions.current?.loggedInAt).toBe(1_001_000);
  });

  it("ends the session when the refresh token is refused", async () => {
    const sessions = keeper({ user, accessToken: "a", refreshToken: "reused", expiresAt: 0 });
    let signedOut = 0;
    const fetchImpl = async () =>
      json(401, { error: { code: "invalid_refresh_token", message: "log in again" } });
    const api = new ApiClient("http://x", sessions, () => (signedOut += 1), fetchImpl);
    await expect(api.user("u1")).rejects.toBeInstanceOf(ApiError);
    expect(sessions.current).toBeNull();
    expect(signedOut).toBe(1);
  });

  it("keeps the session when the refresh is only busy (429) or the server is down (503)", async () => {
    for (const status of [429, 503]) {
      const session = { user, accessToken: "a", refreshToken: "r1", expiresAt: 0 };
      const sessions = keeper(session);
      let signedOut = 0;
      const fetchImpl = async () => json(status, { error: { code: "rate_limited", message: "later" } });
      const api = new ApiClient("http://x", sessions, () => (signedOut += 1), fetchImpl);
      expect(await api.refresh()).toBe(false);
      expect(sessions.current).toBe(session);
      expect(signedOut).toBe(0);
    }
  });

  it("takes the session another tab refreshed instead of reusing the spent refresh token", async () => {
    // Two tabs start with the same session; the first refreshes it
    const first = { user, accessToken: "a", refreshToken: "r1", expiresAt: 0 };
    const storage = { saved: first as Session | null };
    const tabA = keeper(first, storage);
    const tabB = keeper(first, storage);
    const used: string[] = [];
    const fetchImpl = async (_url: string, init?: RequestInit) => {
      used.push(JSON.parse(String(init?.body)).refreshToken);
      return json(200, {
        accessToken: `a${used.length + 1}`,
        refreshToken: `r${used.length + 1}`,
        expiresIn: 900,
      });
    };
    expect(await new ApiClient("http://x", tabA, () => {}, fetchImpl).refresh()).toBe(true);
    // When the second tab needs a refresh too, Then it takes the saved session: r1 is never sent twice
    expect(await new ApiClient("http://x", tabB, () => {}, fetchImpl).refresh()).toBe(true);
    expect(used).toEqual(["r1"]);
    expect(tabB.current?.refreshToken).toBe("r2");
  });

  it("tabs refreshing at once take turns (Web Locks): the refresh token is spent once", async () => {
    const first = { user, accessToken: "a", refreshToken: "r1", expiresAt: 0 };
    const storage = { saved: first as Session | null };
    const tabA = keeper(first, storage);
    const tabB = keeper(first, storage);
    const used: string[] = [];
    const fetchImpl = async (_url: string, init?: RequestInit) => {
      used.push(JSON.parse(String(init?.body)).refreshToken);
      await new Promise((resolve) => setTimeout(resolve, 5)); // the server takes a moment
      return json(200, {
        accessToken: `a${used.length + 1}`,
        refreshToken: `r${used.length + 1}`,
        expiresIn: 900,
      });
    };
    const locks = fakeLocks(); // shared by the tabs, as the browser's are
    const refreshing = [tabA, tabB].map((tab) =>
      new ApiClient("http://x", tab, () => {}, fetchImpl, Date.now, locks).refresh(),
    );
    expect(await Promise.all(refreshing)).toEqual([true, true]);
    expect(used).toEqual(["r1"]);
    expect(tabB.current?.refreshToken).toBe("r2");
  });

  it("uses a token that has not expired when it cannot be renewed yet, and says so once it has", async () => {
    const now = 1_000_000;
    const calls: string[] = [];
    const fetchImpl = async (url: string, init?: RequestInit) => {
      calls.push(`${url} ${(init?.headers as Record<string, string> | undefined)?.authorization ?? ""}`);
      if (url.endsWith("/api/auth/refresh"))
        return json(503, { error: { code: "service_unavailable", message: "down" } });
      return json(200, user);
    };
    // Within the minute before expiry: the renewal fails, the token is still good
    const soon = keeper({ user, accessToken: "still-good", refreshToken: "r1", expiresAt: now + 30_000 });
    await new ApiClient(
      "http://x",
      soon,
      () => {},
      fetchImpl,
      () => now,
    ).user("u1");
    expect(calls.at(-1)).toBe("http://x/api/users/u1 Bearer still-good");
    // Past expiry: a clear 503, not "your session ended", and the session is kept
    const expired = keeper({ user, accessToken: "old", refreshToken: "r1", expiresAt: now - 1 });
    const error = await new ApiClient(
      "http://x",
      expired,
      () => {},
      fetchImpl,
      () => now,
    )
      .user("u1")
      .catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect(expired.current?.refreshToken).toBe("r1");
  });

  it("keeps the session when the refresh fails for lack of network", async () => {
    const session = { user, accessToken: "a", refreshToken: "r1", expiresAt: 0 };
    const sessions = keeper(session);
    const fetchImpl = async (): Promise<Response> => {
      throw new TypeError("Failed to fetch");
    };
    const api = new ApiClient("http://x", sessions, () => {}, fetchImpl);
    expect(await api.refresh()).toBe(false);
    expect(sessions.current).toBe(session);
  });

  it("turns the server's error body into an ApiError with its code and words", async () => {
    const sessions = keeper(null);
    const fetchImpl = async () =>
      json(409, { error: { code: "username_taken", message: "The username 'alice' is taken." } });
    const api = new ApiClient("http://x", sessions, () => {}, fetchImpl);
    const error = await api.signup("alice", "password123").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("username_taken");
    expect((error as ApiError).message).toBe("The username 'alice' is taken.");
  });
});
