import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "./api";
import {
  applicationServerKey,
  type BrowserSubscription,
  PUSH_REFUSED_HERE,
  PUSH_SERVICE_UNREACHABLE,
  type PushBrowser,
  type PushLogin,
  PushNotifications,
  SUBSCRIBE_TIMEOUT_MS,
} from "./push";

// A P-256 public key as a server gives it: base64url of the 65-byte uncompressed point, 87 characters.
const KEY = `BA${"E".repeat(85)}`;
const OTHER_KEY = `BB${"E".repeat(85)}`;

class FakeSubscription implements BrowserSubscription {
  unsubscribed = false;
  readonly options: PushSubscriptionOptions;
  constructor(
    readonly endpoint: string,
    key: Uint8Array<ArrayBuffer>,
  ) {
    this.options = { applicationServerKey: key.buffer, userVisibleOnly: true };
  }
  toJSON(): PushSubscriptionJSON {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: "p", auth: "a" } };
  }
  async unsubscribe(): Promise<boolean> {
    this.unsubscribed = true;
    return true;
  }
}

/**
 * The browser: a permission the "user" answers with `answer`, and at most one subscription, which
 * subscribe hands out again while it lasts (as Chrome does for the same key).
 */
class FakeBrowser implements PushBrowser {
  granted: NotificationPermission = "default";
  answer: NotificationPermission = "granted";
  prompts = 0;
  current: FakeSubscription | null = null;
  made = 0;
  /** What subscribe rejects with, if anything. */
  subscribeError: Error | null = null;
  /** Without its push service, subscribe answers only when `reachPushService` is called. */
  pushServiceReachable = true;
  private waiting: Array<() => void> = [];
  supported = () => true;
  permission = () => this.granted;
  requestPermission = async () => {
    this.prompts += 1;
    this.granted = this.answer;
    return this.answer;
  };
  subscription = async () => (this.current?.unsubscribed ? null : this.current);
  subscribe = (key: Uint8Array<ArrayBuffer>) =>
    new Promise<FakeSubscription>((resolve, reject) => {
      const answer = () => {
        if (this.subscribeError) return reject(this.subscribeError);
        if (!this.current || this.current.unsubscribed) {
          this.made += 1;
          this.current = new FakeSubscription(`https://push.example/send/${this.made}`, key);
        }
        resolve(this.current);
      };
      if (this.pushServiceReachable) answer();
      else this.waiting.push(answer);
    });
  /** The push service can be reached again: the subscribes waiting for it answer. */
  reachPushService(): void {
    this.pushServiceReachable = true;
    for (const answer of this.waiting.splice(0)) answer();
  }
  dismissed: string[] = [];
  dismiss = async (conversationId: string) => {
    this.dismissed.push(conversationId);
  };
  clearBadge = () => {};
}

/** The server's push routes: who holds which endpoint, and every request with its body. */
class FakeServer {
  vapidPublicKey: string | null = KEY;
  endpoints = new Set<string>();
  refuse: number | null = null;
  /** Retry-After (seconds) on a refusal. */
  retryAfter: number | null = null;
  requests: Array<{ call: string; body: unknown; auth: string | undefined }> = [];

  fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? "GET";
    const path = new URL(input).pathname;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
    this.requests.push({ call: `${method} ${path}`, body, auth });
    if (path === "/api/push/config") return Response.json({ vapidPublicKey: this.vapidPublicKey });
    if (this.refuse) {
      const error = { code: "validation_error", message: "Not a known push service." };
      const headers: Record<string, string> = this.retryAfter
        ? { "retry-after": String(this.retryAfter) }
        : {};
      return Response.json({ error }, { status: this.refuse, headers });
    }
    if (method === "POST") {
      this.endpoints.add(body.endpoint);
      return Response.json(
        { id: "s1", endpoint: body.endpoint, expirationTime: null, createdAt: "" },
        { status: 201 },
      );
    }
    this.endpoints.delete(body.endpoint);
    return new Response(null, { status: 204 });
  };

  calls(): string[] {
    return this.requests.map((r) => r.call);
  }
}

let browser: FakeBrowser;
let server: FakeServer;
let storage: Map<string, string>;
let now: number;

/** A login of `userId`, made at `loggedInAt` (a new log-in makes a new one; refreshes keep it). */
function login(userId: string, loggedInAt = 1): PushLogin {
  return { user: { id: userId, username: userId, displayName: userId, createdAt: "" }, loggedInAt };
}
const U1 = login("u1");

/** The app's notifications as a page load starts them: a new object per load, over the same storage. */
function notifications(configuredKey?: string): PushNotifications {
  const session = { user: { id: "u1", username: "a", displayName: "A", createdAt: "" }, accessToken: "t" };
  const keeper = {
    get: () => ({ ...session, refreshToken: "r", expiresAt: Date.now() + 600_000 }),
    set: () => {},
    saved: () => null,
  };
  const api = new ApiClient("http://x", keeper, () => {}, server.fetch);
  return new PushNotifications(
    api,
    browser,
    configuredKey,
    {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
      removeItem: (k) => void storage.delete(k),
    },
    () => now,
  );
}

beforeEach(() => {
  browser = new FakeBrowser();
  server = new FakeServer();
  storage = new Map();
  now = 1_000_000;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the VAPID key", () => {
  it("turns the server's base64url key into the 65 bytes of a P-256 point", () => {
    const bytes = applicationServerKey(KEY);
    expect(bytes.length).toBe(65);
    expect(bytes[0]).toBe(4); // uncompressed point
    expect([...applicationServerKey("-_8")]).toEqual([0xfb, 0xff]);
  });

  it("comes from config.json, or else from the server, which may say there is none", async () => {
    await notifications(KEY).check(U1);
    expect(server.calls()).toEqual([]);
    expect(await notifications("").check(U1)).toBe("off");
    expect(server.calls()).toEqual(["GET /api/push/config"]);
    server.vapidPublicKey = null;
    expect(await notifications(undefined).check(U1)).toBe("unconfigured");
  });
});

describe("turning notifications on and off", () => {
  it("asks permission only when told to, subscribes with the key, and registers the subscription", async () => {
    const push = notifications(KEY);
    // Given a browser that has never been asked
    expect(await push.check(U1)).toBe("off");
    expect(browser.prompts).toBe(0);
    // When the user enables notifications
    expect(await push.enable(U1)).toBe("on");
    // Then the browser asked once, and the server holds the subscription, sent with the login
    expect(browser.prompts).toBe(1);
    expect(server.requests).toEqual([
      {
        call: "POST /api/push/subscriptions",
        body: {
          endpoint: "https://push.example/send/1",
          expirationTime: null,
          keys: { p256dh: "p", auth: "a" },
        },
        auth: "Bearer t",
      },
    ]);
    expect([...new Uint8Array(browser.current?.options.applicationServerKey ?? new ArrayBuffer(0))]).toEqual([
      ...applicationServerKey(KEY),
    ]);
    // And turning them off tells the server, then unsubscribes the browser
    await push.disable();
    expect(server.calls().at(-1)).toBe("DELETE /api/push/subscriptions");
    expect(server.requests.at(-1)?.body).toEqual({ endpoint: "https://push.example/send/1" });
    expect(server.endpoints.size).toBe(0);
    expect(browser.current?.unsubscribed).toBe(true);
    expect(await push.check(U1)).toBe("off");
  });

  it("says blocked when the user refuses, and off when they only close the prompt", async () => {
    browser.answer = "default";
    expect(await notifications(KEY).enable(U1)).toBe("off");
    browser.answer = "denied";
    expect(await notifications(KEY).enable(U1)).toBe("blocked");
    expect(await notifications(KEY).check(U1)).toBe("blocked");
    expect(browser.made).toBe(0);
    expect(server.calls()).toEqual([]);
  });

  it("leaves the browser unsubscribed when the server refuses the subscription", async () => {
    server.refuse = 422;
    await expect(notifications(KEY).enable(U1)).rejects.toThrow("Not a known push service.");
    expect(browser.current?.unsubscribed).toBe(true);
  });
});

describe("when the browser cannot subscribe", () => {
  it("says why", async () => {
    browser.subscribeError = new DOMException("Registration failed - push service error", "AbortError");
    await expect(notifications(KEY).enable(U1)).rejects.toThrow(
      "This browser could not subscribe to notifications (Registration failed - push service error). Try again later.",
    );
    expect(server.calls()).toEqual([]);
  });

  it("gives up when the push service does not answer, and undoes a subscription made after", async () => {
    vi.useFakeTimers();
    // Given a browser that cannot reach its push service (offline)
    browser.pushServiceReachable = false;
    const push = notifications(KEY);
    // When the user enables notifications
    let outcome: unknown = "waiting";
    const enabling = push.enable(U1).then(
      (status) => status,
      (error: Error) => error.message,
    );
    void enabling.then((settled) => {
      outcome = settled;
    });
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS - 1);
    expect(outcome).toBe("waiting");
    // Then, at the time limit, they are told why, and nothing reached the server
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe(PUSH_SERVICE_UNREACHABLE);
    expect(server.calls()).toEqual([]);
    // And when the browser subscribes after all, the subscription nobody waits for is undone
    browser.reachPushService();
    await vi.advanceTimersByTimeAsync(0);
    expect(browser.made).toBe(1);
    expect(browser.current?.unsubscribed).toBe(true);
    expect(await push.check(U1)).toBe("off");
  });

  it("keeps a late subscription that a later try turned on", async () => {
    vi.useFakeTimers();
    browser.pushServiceReachable = false;
    const push = notifications(KEY);
    const first = push.enable(U1);
    const told = expect(first).rejects.toThrow(PUSH_SERVICE_UNREACHABLE);
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS);
    await told;
    // When the user tries again once online, and the first subscribe answers only then
    browser.pushServiceReachable = true;
    expect(await push.enable(U1)).toBe("on");
    browser.reachPushService();
    await vi.advanceTimersByTimeAsync(0);
    // Then the one subscription (Chrome gives the same one to both) stays, as the server has it
    expect(browser.made).toBe(1);
    expect(browser.current?.unsubscribed).toBe(false);
    expect([...server.endpoints]).toEqual(["https://push.example/send/1"]);
    expect(await push.check(U1)).toBe("on");
  });

  it("says a private window cannot have them, though notifications are allowed", async () => {
    // Chrome's private windows have no push service: subscribe says "permission denied"
    for (const name of ["NotAllowedError", "AbortError"]) {
      browser.subscribeError = new DOMException("Registration failed - permission denied", name);
      await expect(notifications(KEY).enable(U1)).rejects.toThrow(PUSH_REFUSED_HERE);
      expect(browser.permission()).toBe("granted");
    }
    expect(server.calls()).toEqual([]);
  });

  it("says blocked when notifications were blocked by the time the browser refused", async () => {
    browser.subscribeError = new DOMException("Registration failed - permission denied", "NotAllowedError");
    browser.permission = () => "denied";
    expect(await notifications(KEY).enable(U1)).toBe("blocked");
  });

  it("is off after the key changed and no new subscription came, so it can be turned on again", async () => {
    vi.useFakeTimers();
    await notifications(KEY).enable(U1);
    browser.pushServiceReachable = false;
    const checking = notifications(OTHER_KEY).check(U1);
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS);
    expect(await checking).toBe("off");
    expect(storage.size).toBe(0); // whose it was, and what the server had, are forgotten
  });
});

describe("a subscription the browser already holds", () => {
  it("is not posted again on later starts while endpoint, user, login and key are the same", async () => {
    // Given notifications enabled in one page load
    await notifications(KEY).enable(U1);
    // When the app starts again, in reloads and other tabs, and the profile is opened
    for (let load = 0; load < 3; load++) {
      const push = notifications(KEY);
      expect(await push.check(U1)).toBe("on");
      expect(await push.check(U1)).toBe("on");
    }
    // Then the server was asked once: each post spends one of the user's subscription requests
    expect(server.calls()).toEqual(["POST /api/push/subscriptions"]);
  });

  it("is posted again after a new log-in, so the server ties it to the login going on", async () => {
    await notifications(KEY).enable(U1);
    const relogin = login("u1", 2);
    expect(await notifications(KEY).check(relogin)).toBe("on");
    expect(server.calls()).toEqual(["POST /api/push/subscriptions", "POST /api/push/subscriptions"]);
    expect(server.requests.at(-1)?.auth).toBe("Bearer t");
    expect([...server.endpoints]).toEqual(["https://push.example/send/1"]);
    // And only once
    expect(await notifications(KEY).check(relogin)).toBe("on");
    expect(server.calls()).toHaveLength(2);
  });

  it("is posted again when the browser replaced the endpoint", async () => {
    await notifications(KEY).enable(U1);
    // The push service replaced the subscription (the worker's pushsubscriptionchange)
    browser.current = new FakeSubscription("https://push.example/send/renewed", applicationServerKey(KEY));
    expect(await notifications(KEY).check(U1)).toBe("on");
    expect(server.requests.at(-1)).toMatchObject({
      call: "POST /api/push/subscriptions",
      body: { endpoint: "https://push.example/send/renewed" },
    });
    expect(await notifications(KEY).check(U1)).toBe("on");
    expect(server.calls()).toHaveLength(2);
  });

  it("stays on when the server says too many (429), waits its Retry-After, and the next start tries again", async () => {
    await notifications(KEY).enable(U1);
    const relogin = login("u1", 2);
    server.refuse = 429;
    server.retryAfter = 120;
    // When a start's post is refused as too many
    const push = notifications(KEY);
    expect(await push.check(relogin)).toBe("on");
    expect(browser.current?.unsubscribed).toBe(false);
    // Then this page does not ask again until the Retry-After has passed
    now += 119_000;
    expect(await push.check(relogin)).toBe("on");
    expect(server.calls()).toHaveLength(2);
    now += 1_000;
    expect(await push.check(relogin)).toBe("on");
    expect(server.calls()).toHaveLength(3);
    // And once the server takes it, the next start posts it again and nothing after
    server.refuse = null;
    expect(await notifications(KEY).check(relogin)).toBe("on");
    expect(await notifications(KEY).check(relogin)).toBe("on");
    expect(server.calls()).toHaveLength(4);
    expect([...server.endpoints]).toEqual(["https://push.example/send/1"]);
  });

  it("is made again when the server's key changed", async () => {
    await notifications(KEY).enable(U1);
    const old = browser.current;
    expect(await notifications(OTHER_KEY).check(U1)).toBe("on");
    expect(old?.unsubscribed).toBe(true);
    expect(browser.current?.endpoint).toBe("https://push.example/send/2");
    expect(server.requests.at(-1)?.body).toMatchObject({ endpoint: "https://push.example/send/2" });
  });

  it("is dropped when it was made for someone else, whose login ended without logging out", async () => {
    await notifications(KEY).enable(U1);
    expect(await notifications(KEY).check(login("u2"))).toBe("off");
    expect(browser.current?.unsubscribed).toBe(true);
    expect(server.calls()).toEqual(["POST /api/push/subscriptions"]); // nothing sent for u2
  });

  it("is dropped when the server will not push to it", async () => {
    for (const status of [422, 409]) {
      server.refuse = null;
      await notifications(KEY).enable(U1);
      server.refuse = status;
      expect(await notifications(KEY).check(login("u1", 2))).toBe("off");
      expect(browser.current?.unsubscribed).toBe(true);
    }
  });

  it("stays on while the server cannot be reached, and is posted when it can be", async () => {
    await notifications(KEY).enable(U1);
    server.refuse = 503;
    const relogin = login("u1", 2);
    expect(await notifications(KEY).check(relogin)).toBe("on");
    expect(browser.current?.unsubscribed).toBe(false);
    server.refuse = null;
    expect(await notifications(KEY).check(relogin)).toBe("on");
    expect(server.calls()).toHaveLength(3);
    expect([...server.endpoints]).toEqual(["https://push.example/send/1"]);
  });
});

describe("where the browser cannot", () => {
  it("says unsupported and asks nothing", async () => {
    browser.supported = () => false;
    const push = notifications(undefined);
    expect(await push.check(U1)).toBe("unsupported");
    await push.disable();
    push.dismiss("c1");
    expect(server.calls()).toEqual([]);
    expect(browser.dismissed).toEqual([]);
  });
});
