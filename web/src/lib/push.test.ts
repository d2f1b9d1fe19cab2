import { beforeEach, describe, expect, it } from "vitest";
import { ApiClient } from "./api";
import { applicationServerKey, type BrowserSubscription, type PushBrowser, PushNotifications } from "./push";

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

/** The browser: a permission the "user" answers with `answer`, and at most one subscription. */
class FakeBrowser implements PushBrowser {
  granted: NotificationPermission = "default";
  answer: NotificationPermission = "granted";
  prompts = 0;
  current: FakeSubscription | null = null;
  made = 0;
  failSubscribing = false;
  supported = () => true;
  permission = () => this.granted;
  requestPermission = async () => {
    this.prompts += 1;
    this.granted = this.answer;
    return this.answer;
  };
  subscription = async () => (this.current?.unsubscribed ? null : this.current);
  subscribe = async (key: Uint8Array<ArrayBuffer>) => {
    if (this.failSubscribing) throw new Error("push service error");
    this.made += 1;
    this.current = new FakeSubscription(`https://push.example/send/${this.made}`, key);
    return this.current;
  };
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
      return Response.json({ error }, { status: this.refuse });
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

function notifications(configuredKey?: string): PushNotifications {
  const session = { user: { id: "u1", username: "a", displayName: "A", createdAt: "" }, accessToken: "t" };
  const keeper = {
    get: () => ({ ...session, refreshToken: "r", expiresAt: Date.now() + 600_000 }),
    set: () => {},
    saved: () => null,
  };
  const api = new ApiClient("http://x", keeper, () => {}, server.fetch);
  return new PushNotifications(api, browser, configuredKey, {
    getItem: (k) => storage.get(k) ?? null,
    setItem: (k, v) => void storage.set(k, v),
    removeItem: (k) => void storage.delete(k),
  });
}

beforeEach(() => {
  browser = new FakeBrowser();
  server = new FakeServer();
  storage = new Map();
});

describe("the VAPID key", () => {
  it("turns the server's base64url key into the 65 bytes of a P-256 point", () => {
    const bytes = applicationServerKey(KEY);
    expect(bytes.length).toBe(65);
    expect(bytes[0]).toBe(4); // uncompressed point
    expect([...applicationServerKey("-_8")]).toEqual([0xfb, 0xff]);
  });

  it("comes from config.json, or else from the server, which may say there is none", async () => {
    await notifications(KEY).check("u1");
    expect(server.calls()).toEqual([]);
    expect(await notifications("").check("u1")).toBe("off");
    expect(server.calls()).toEqual(["GET /api/push/config"]);
    server.vapidPublicKey = null;
    expect(await notifications(undefined).check("u1")).toBe("unconfigured");
  });
});

describe("turning notifications on and off", () => {
  it("asks permission only when told to, subscribes with the key, and registers the subscription", async () => {
    const push = notifications(KEY);
    // Given a browser that has never been asked
    expect(await push.check("u1")).toBe("off");
    expect(browser.prompts).toBe(0);
    // When the user enables notifications
    expect(await push.enable("u1")).toBe("on");
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
    expect(await push.check("u1")).toBe("off");
  });

  it("says blocked when the user refuses, and off when they only close the prompt", async () => {
    browser.answer = "default";
    expect(await notifications(KEY).enable("u1")).toBe("off");
    browser.answer = "denied";
    expect(await notifications(KEY).enable("u1")).toBe("blocked");
    expect(await notifications(KEY).check("u1")).toBe("blocked");
    expect(browser.made).toBe(0);
    expect(server.calls()).toEqual([]);
  });

  it("leaves the browser unsubscribed when the server refuses the subscription", async () => {
    server.refuse = 422;
    await expect(notifications(KEY).enable("u1")).rejects.toThrow("Not a known push service.");
    expect(browser.current?.unsubscribed).toBe(true);
  });

  it("says why when the browser cannot subscribe", async () => {
    browser.failSubscribing = true;
    await expect(notifications(KEY).enable("u1")).rejects.toThrow(/could not subscribe.*push service error/);
    expect(server.calls()).toEqual([]);
  });
});

describe("a subscription the browser already holds", () => {
  it("is registered again once per page load, so the server has it even after dropping it", async () => {
    await notifications(KEY).enable("u1");
    server.endpoints.clear(); // e.g. dropped after failed deliveries
    const nextLoad = notifications(KEY);
    expect(await nextLoad.check("u1")).toBe("on");
    expect(await nextLoad.check("u1")).toBe("on");
    expect(server.calls()).toEqual(["POST /api/push/subscriptions", "POST /api/push/subscriptions"]);
    expect([...server.endpoints]).toEqual(["https://push.example/send/1"]);
  });

  it("is made again when the server's key changed", async () => {
    await notifications(KEY).enable("u1");
    const old = browser.current;
    expect(await notifications(OTHER_KEY).check("u1")).toBe("on");
    expect(old?.unsubscribed).toBe(true);
    expect(browser.current?.endpoint).toBe("https://push.example/send/2");
    expect(server.requests.at(-1)?.body).toMatchObject({ endpoint: "https://push.example/send/2" });
  });

  it("is dropped when it was made for someone else, whose login ended without logging out", async () => {
    await notifications(KEY).enable("u1");
    expect(await notifications(KEY).check("u2")).toBe("off");
    expect(browser.current?.unsubscribed).toBe(true);
    expect(server.calls()).toEqual(["POST /api/push/subscriptions"]); // nothing sent for u2
  });

  it("is dropped when the server will not push to it", async () => {
    await notifications(KEY).enable("u1");
    server.refuse = 422;
    expect(await notifications(KEY).check("u1")).toBe("off");
    expect(browser.current?.unsubscribed).toBe(true);
  });

  it("stays on while the server cannot be reached", async () => {
    await notifications(KEY).enable("u1");
    server.refuse = 503;
    expect(await notifications(KEY).check("u1")).toBe("on");
    expect(browser.current?.unsubscribed).toBe(false);
  });
});

describe("where the browser cannot", () => {
  it("says unsupported and asks nothing", async () => {
    browser.supported = () => false;
    const push = notifications(undefined);
    expect(await push.check("u1")).toBe("unsupported");
    await push.disable();
    push.dismiss("c1");
    expect(server.calls()).toEqual([]);
    expect(browser.dismissed).toEqual([]);
  });
});
