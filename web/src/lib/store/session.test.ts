import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  conversation,
  type FakeEnvironment,
  FakePushBrowser,
  type FakeServer,
  message,
  settle,
  signedInEnvironment,
  newStore as storeIn,
  user,
} from "../../test/fakes";
import {
  type BrowserSubscription,
  PUSH_SERVICE_UNREACHABLE,
  type PushBrowser,
  SUBSCRIBE_TIMEOUT_MS,
} from "../push";
import type { ChatStore } from ".";

let env: FakeEnvironment;
let server: FakeServer;

beforeEach(() => {
  env = signedInEnvironment();
  ({ server } = env);
});

afterEach(() => {
  vi.useRealTimers();
});

function newStore(pushBrowser?: PushBrowser): ChatStore {
  return storeIn(env, pushBrowser);
}

describe("ChatStore push notifications", () => {
  function subscribedAs(userId: string): FakePushBrowser {
    env.saved.set("chat.push.owner", userId);
    return new FakePushBrowser().subscribed();
  }

  it("finds this browser subscribed on start and registers it with the server again", async () => {
    const browser = subscribedAs("u1");
    const store = newStore(browser);
    expect(store.getState().webPush).toBe("checking");
    store.start();
    await settle();
    expect(store.getState().webPush).toBe("on");
    expect([...server.pushEndpoints]).toEqual(["https://push.example/1"]);
  });

  it("posts the subscription once per login: not at each start or refresh, again after a new log-in", async () => {
    // Given notifications on, enabled in an earlier page load of a login made at 5
    const session = JSON.parse(env.saved.get("chat.session") ?? "{}");
    env.saved.set("chat.session", JSON.stringify({ ...session, loggedInAt: 5 }));
    const browser = subscribedAs("u1");
    newStore(browser).start();
    await settle();
    expect(server.asked("POST /api/push")).toHaveLength(1);
    // When the app starts again, refreshing its tokens on the way, and the profile is opened
    const expiring = JSON.parse(env.saved.get("chat.session") ?? "{}");
    env.saved.set("chat.session", JSON.stringify({ ...expiring, expiresAt: Date.now() }));
    const reloaded = newStore(browser);
    reloaded.start();
    await settle();
    await reloaded.checkNotifications();
    expect(server.asked("POST /api/auth/refresh")).toHaveLength(1);
    // Then the server is not asked again: each post spends one of the user's subscription requests
    expect(server.asked("POST /api/push")).toHaveLength(1);
    expect(reloaded.getState().webPush).toBe("on");
    // When the user logs in anew (the earlier login ended without log-out, say)
    await reloaded.logIn("u1", "password123");
    await settle();
    // Then the subscription is posted with the new login, so the server ties it to that one
    expect(
      server.sent.filter((r) => r.request === "POST /api/push/subscriptions").map((r) => r.auth),
    ).toEqual(["Bearer t", "Bearer t3"]);
    expect(reloaded.getState().webPush).toBe("on");
  });

  it("turns on when asked, and off again", async () => {
    const browser = new FakePushBrowser();
    const store = newStore(browser);
    await store.checkNotifications();
    expect(store.getState().webPush).toBe("off");
    await store.enableNotifications();
    expect(store.getState().webPush).toBe("on");
    expect(server.pushEndpoints.size).toBe(1);
    await store.disableNotifications();
    expect(store.getState().webPush).toBe("off");
    expect(server.pushEndpoints.size).toBe(0);
    expect(browser.current?.unsubscribed).toBe(true);
  });

  it("gives up turning on when the browser's push service never answers, and stays off", async () => {
    const browser = new FakePushBrowser();
    browser.subscribe = () => new Promise<BrowserSubscription>(() => {}); // offline Chrome
    const store = newStore(browser);
    await store.checkNotifications();
    vi.useFakeTimers();
    // The profile's controls wait for this, so it must end
    const told = expect(store.enableNotifications()).rejects.toThrow(PUSH_SERVICE_UNREACHABLE);
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS);
    await told;
    expect(store.getState().webPush).toBe("off");
    expect(server.pushEndpoints.size).toBe(0);
  });

  it("log-out removes this browser's subscription while the login still stands, then ends it", async () => {
    const browser = subscribedAs("u1");
    const store = newStore(browser);
    await store.logOut();
    expect(server.sent.map((r) => [r.request, r.auth])).toEqual([
      ["DELETE /api/push/subscriptions", "Bearer t"],
      ["POST /api/auth/logout", undefined],
    ]);
    expect(server.sent[0]?.body).toEqual({ endpoint: "https://push.example/1" });
    expect(browser.current?.unsubscribed).toBe(true);
    expect(store.getState().session).toBeNull();
  });

  it("log-out everywhere does the same first", async () => {
    const browser = subscribedAs("u1");
    const store = newStore(browser);
    await store.logOutEverywhere();
    expect(server.sent.map((r) => r.request)).toEqual([
      "DELETE /api/push/subscriptions",
      "POST /api/auth/logout-all",
    ]);
    expect(browser.current?.unsubscribed).toBe(true);
  });

  it("a login that ends on its own unsubscribes this browser, with no one to tell the server", async () => {
    const session = { user: user("u1"), accessToken: "t", refreshToken: "r", expiresAt: Date.now() };
    env.saved.set("chat.session", JSON.stringify(session));
    server.refreshStatus = 401;
    const browser = subscribedAs("u1");
    const store = newStore(browser);
    await store.loadConversations();
    await settle();
    expect(store.getState().session).toBeNull();
    expect(browser.current?.unsubscribed).toBe(true);
    expect(server.asked("DELETE /api/push")).toEqual([]);
  });

  it("closes a conversation's notifications when it is read here", async () => {
    server.messages.c1 = [message(1)];
    server.conversations = [conversation("c1", { lastSeq: 1, lastMessage: message(1), unreadCount: 1 })];
    const browser = new FakePushBrowser();
    const store = newStore(browser);
    await store.loadConversations();
    store.viewConversation("c1");
    expect(browser.dismissed).toEqual(["c1"]);
    env.attention = false;
    store.viewConversation("c2"); // not looked at: its notifications stay
    expect(browser.dismissed).toEqual(["c1"]);
  });

  it("loads and saves whether notifications show previews, on the caller's own profile", async () => {
    server.notificationPreviews = false;
    const store = newStore();
    expect(store.getState().session?.user.notificationPreviews).toBeUndefined();
    await store.loadProfile();
    expect(store.getState().session?.user.notificationPreviews).toBe(false);
    await store.setNotificationPreviews(true);
    expect(server.sent.at(-1)).toMatchObject({
      request: "PUT /api/users/me",
      body: { notificationPreviews: true },
    });
    expect(store.getState().session?.user.notificationPreviews).toBe(true);
    expect(JSON.parse(env.saved.get("chat.session") ?? "{}").user.notificationPreviews).toBe(true);
  });
});
