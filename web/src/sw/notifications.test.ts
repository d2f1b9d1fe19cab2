import { describe, expect, it } from "vitest";
import {
  type AppWindow,
  type AppWindows,
  COUNTED_IDS_KEPT,
  conversationFromUrl,
  conversationUrl,
  type MessagePush,
  messageNotification,
  type NotificationRegistration,
  type NotificationSpec,
  notificationData,
  openConversation,
  pickWindow,
  readMessagePush,
  readWorkerMessage,
  showMessageNotification,
  type WorkerMessage,
} from "./notifications";

const SCOPE = "https://chat.example/";

function push(patch: Partial<MessagePush> = {}): MessagePush {
  return {
    type: "message",
    conversationId: "c1",
    messageId: "m1",
    seq: 7,
    title: "Alice",
    body: "Lunch at one?",
    conversationType: "direct",
    senderId: "u2",
    mention: false,
    ...patch,
  };
}

/** The browser's notification tray for one registration: what is shown, by tag, newest replacing. */
class FakeTray implements NotificationRegistration {
  readonly scope = SCOPE;
  shown: Array<{ title: string; options: NotificationSpec; closed: boolean }> = [];

  async showNotification(title: string, options: NotificationSpec): Promise<void> {
    this.shown = this.shown.filter((n) => n.options.tag !== options.tag);
    this.shown.push({ title, options, closed: false });
  }

  async getNotifications(filter?: { tag: string }) {
    return this.shown
      .filter((n) => !n.closed && (!filter || n.options.tag === filter.tag))
      .map((n) => ({
        data: n.options.data,
        close: () => {
          n.closed = true;
        },
      }));
  }
}

class FakeBadge {
  count: number | null = null;
  async setAppBadge(count: number) {
    this.count = count;
  }
  async clearAppBadge() {
    this.count = null;
  }
}

class FakeWindow implements AppWindow {
  messages: WorkerMessage[] = [];
  focusedNow = false;
  constructor(
    readonly url: string,
    readonly focused = false,
    readonly visibilityState = "hidden",
  ) {}
  async focus() {
    this.focusedNow = true;
  }
  postMessage(message: WorkerMessage) {
    this.messages.push(message);
  }
}

function windowsOf(list: FakeWindow[]): AppWindows & { opened: string[] } {
  const opened: string[] = [];
  return { opened, matchAll: async () => list, openWindow: async (url) => opened.push(url) };
}

describe("the notification for a pushed message", () => {
  it("shows the sender (or group) and preview, tagged with the conversation so a burst collapses", () => {
    const { title, options } = messageNotification(
      readMessagePush(push({ title: "Team", body: "Bob: hi", conversationType: "group" })),
    );
    expect(title).toBe("Team");
    expect(options).toMatchObject({
      body: "Bob: hi",
      tag: "c1",
      renotify: true,
      data: { conversationId: "c1", messageIds: ["m1"], count: 1 },
    });
  });

  it("counts the messages of a burst in one notification, and a redelivered message once", async () => {
    const tray = new FakeTray();
    const badge = new FakeBadge();
    await showMessageNotification(tray, push(), badge);
    await showMessageNotification(tray, push({ messageId: "m2", body: "Or two?" }), badge);
    await showMessageNotification(tray, push({ messageId: "m2", body: "Or two?" }), badge);
    expect(tray.shown.map((n) => [n.title, n.options.body])).toEqual([["Alice (2 new messages)", "Or two?"]]);
    expect(badge.count).toBe(1);
    // Another conversation shows beside it, and the badge counts both
    await showMessageNotification(tray, push({ conversationId: "c2", title: "Bob" }), badge);
    expect(tray.shown.map((n) => n.options.tag)).toEqual(["c1", "c2"]);
    expect(badge.count).toBe(2);
  });

  it("counts an earlier message of the burst once when its push comes again", async () => {
    // Given a notification counting m1, m2 and m3
    const tray = new FakeTray();
    const badge = new FakeBadge();
    for (const id of ["m1", "m2", "m3"]) await showMessageNotification(tray, push({ messageId: id }), badge);
    expect(tray.shown.map((n) => n.title)).toEqual(["Alice (3 new messages)"]);
    // When the push service delivers m1 again (a retry), then a new m4
    await showMessageNotification(tray, push({ messageId: "m1" }), badge);
    expect(tray.shown.map((n) => n.title)).toEqual(["Alice (3 new messages)"]);
    await showMessageNotification(tray, push({ messageId: "m4" }), badge);
    // Then m1 counted once, and m4 once
    expect(tray.shown.map((n) => n.title)).toEqual(["Alice (4 new messages)"]);
    expect(tray.shown[0]?.options.data.messageIds).toEqual(["m1", "m2", "m3", "m4"]);
  });

  it("remembers only the latest ids of a long burst, and counts pushes without an id", () => {
    let data = messageNotification(readMessagePush(push({ messageId: "m0" }))).options.data;
    for (let i = 1; i <= COUNTED_IDS_KEPT; i++)
      data = messageNotification(readMessagePush(push({ messageId: `m${i}` })), data).options.data;
    expect(data.count).toBe(COUNTED_IDS_KEPT + 1);
    expect(data.messageIds).toHaveLength(COUNTED_IDS_KEPT);
    expect(data.messageIds[0]).toBe("m1");
    const anonymous = readMessagePush({ type: "message", conversationId: "c1" });
    const once = messageNotification(anonymous, data).options.data;
    expect(messageNotification(anonymous, once).options.data).toMatchObject({
      count: COUNTED_IDS_KEPT + 3,
      messageIds: data.messageIds,
    });
  });

  it("reads whether the message mentions the recipient (their title says so)", () => {
    const payload = { ...push({ title: "Alice mentioned you in Team" }), mention: true };
    expect(readMessagePush(payload)).toMatchObject({ mention: true, title: "Alice mentioned you in Team" });
    expect(readMessagePush({ type: "message", conversationId: "c1" })?.mention).toBe(false);
  });

  it("still shows one, generic, for a push it cannot read", async () => {
    const tray = new FakeTray();
    for (const payload of [null, "text", { type: "message" }, { type: "other", conversationId: "c1" }]) {
      expect(readMessagePush(payload)).toBeNull();
      await showMessageNotification(tray, payload, new FakeBadge());
    }
    expect(tray.shown.map((n) => [n.title, n.options.body, n.options.tag])).toEqual([
      ["Chat", "New message", "chat"],
    ]);
  });

  it("falls back to plain words when the title or body is missing", () => {
    const message = readMessagePush({ type: "message", conversationId: "c9", title: "", body: 3 });
    expect(messageNotification(message)).toMatchObject({
      title: "Chat",
      options: { body: "New message", tag: "c9" },
    });
  });

  it("reads back what a shown notification carries, and nothing from junk", () => {
    expect(notificationData({ conversationId: "c1", messageIds: ["m1", "m2", 3, ""], count: 3 })).toEqual({
      conversationId: "c1",
      messageIds: ["m1", "m2"],
      count: 3,
    });
    expect(notificationData(null)).toBeNull();
    expect(notificationData({})).toEqual({ conversationId: null, messageIds: [], count: 1 });
    // One shown by the worker before it kept every id: its latest message counts as seen
    const earlier = { conversationId: "c1", messageId: "m1", count: 2 };
    expect(notificationData(earlier)).toEqual({ conversationId: "c1", messageIds: ["m1"], count: 2 });
    expect(messageNotification(readMessagePush(push()), notificationData(earlier)).title).toBe(
      "Alice (2 new messages)",
    );
  });
});

describe("a click on a notification", () => {
  it("brings the focused app window forward and tells it which conversation to show", async () => {
    const other = new FakeWindow("https://elsewhere.example/", true, "visible");
    const background = new FakeWindow(`${SCOPE}?x=1`, false, "hidden");
    const focused = new FakeWindow(SCOPE, true, "visible");
    const windows = windowsOf([other, background, focused]);
    await openConversation("c1", windows, SCOPE);
    expect(focused.messages).toEqual([{ type: "openConversation", conversationId: "c1" }]);
    expect(focused.focusedNow).toBe(true);
    expect(background.messages).toEqual([]);
    expect(windows.opened).toEqual([]);
  });

  it("prefers a visible window, then the one used last (listed first)", () => {
    const last = new FakeWindow(`${SCOPE}a`);
    const earlier = new FakeWindow(`${SCOPE}b`);
    const visible = new FakeWindow(`${SCOPE}c`, false, "visible");
    expect(pickWindow([last, earlier, visible], SCOPE)).toBe(visible);
    expect(pickWindow([last, earlier], SCOPE)).toBe(last);
    expect(pickWindow([new FakeWindow("https://elsewhere.example/")], SCOPE)).toBeNull();
  });

  it("opens the app on the conversation when no window of it is open", async () => {
    const windows = windowsOf([]);
    await openConversation("c 1/2", windows, SCOPE);
    expect(windows.opened).toEqual(["https://chat.example/?conversation=c+1%2F2"]);
    expect(conversationFromUrl(windows.opened[0] ?? "")).toBe("c 1/2");
  });

  it("opens the app itself for a notification about no conversation", async () => {
    const windows = windowsOf([]);
    await openConversation(null, windows, SCOPE);
    expect(windows.opened).toEqual([SCOPE]);
    const app = new FakeWindow(SCOPE);
    await openConversation(null, windowsOf([app]), SCOPE);
    expect(app.messages).toEqual([]);
    expect(app.focusedNow).toBe(true);
  });
});

describe("the page's side", () => {
  it("takes the conversation from its address, and only well-formed messages from the worker", () => {
    expect(conversationUrl(SCOPE, "c1")).toBe("https://chat.example/?conversation=c1");
    expect(conversationFromUrl("https://chat.example/?conversation=c1&x=2")).toBe("c1");
    expect(conversationFromUrl("https://chat.example/?conversation=")).toBeNull();
    expect(readWorkerMessage({ type: "openConversation", conversationId: "c1" })).toEqual({
      type: "openConversation",
      conversationId: "c1",
    });
    expect(readWorkerMessage({ type: "openConversation" })).toBeNull();
    expect(readWorkerMessage({ type: "pushSubscriptionChanged" })).toEqual({
      type: "pushSubscriptionChanged",
    });
    expect(readWorkerMessage("openConversation")).toBeNull();
  });
});
