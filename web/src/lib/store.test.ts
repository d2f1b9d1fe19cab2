import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readBy, receiptStatus } from "./messages";
import {
  type BrowserSubscription,
  PUSH_SERVICE_UNREACHABLE,
  type PushBrowser,
  SUBSCRIBE_TIMEOUT_MS,
} from "./push";
import type { SocketPort } from "./socket";
import {
  ChatStore,
  DELIVERY_DELAY_MS,
  GAP_WAIT_MS,
  isArchived,
  isMember,
  isMuted,
  resolveWsUrl,
  unreadTotal,
} from "./store";
import type { ChangesPage, Conversation, Message, Receipt, User } from "./types";

const CREATED = "2026-11-24T12:00:00.000Z";

function message(seq: number, conversationId = "c1", senderId = "u2"): Message {
  return {
    id: `m${seq}`,
    conversationId,
    senderId,
    text: `t${seq}`,
    clientMsgId: `k${seq}`,
    seq,
    createdAt: CREATED,
    attachments: [],
    editedAt: null,
    deletedAt: null,
    reactions: {},
    revision: 0,
  };
}

function conversation(id: string, patch: Partial<Conversation> = {}): Conversation {
  return {
    id,
    type: "direct",
    name: null,
    memberIds: ["u1", "u2"],
    createdBy: "u2",
    createdAt: "2026-11-24T11:00:00.000Z",
    lastSeq: 0,
    lastMessage: null,
    adminIds: [],
    receipts: {},
    unreadCount: 0,
    archived: false,
    muted: false,
    mutedUntil: null,
    version: 1,
    ...patch,
  };
}

function user(id: string, online = false): User {
  return { id, username: id, displayName: id.toUpperCase(), createdAt: CREATED, online, lastSeenAt: null };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The HTTP API as far as the store uses it: what it holds is set by each test. */
class FakeServer {
  conversations: Conversation[] = [];
  /** Every message per conversation, by seq. */
  messages: Record<string, Message[]> = {};
  changes: Record<string, ChangesPage | number> = {};
  /** Every member's receipts per conversation, as GET /api/conversations/{id}/receipts gives them. */
  receipts: Record<string, Record<string, Receipt>> = {};
  users: Record<string, User> = { u1: user("u1"), u2: user("u2") };
  /** The caller's own profile setting (GET and PUT /api/users/me). */
  notificationPreviews = true;
  /** Push endpoints registered, and what /api/auth/refresh answers. */
  pushEndpoints = new Set<string>();
  refreshStatus = 200;
  requests: string[] = [];
  /** Each request's JSON body and Authorization header, in order. */
  sent: Array<{ request: string; body: unknown; auth: string | undefined }> = [];

  fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const method = init?.method ?? "GET";
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
    this.sent.push({ request: `${method} ${url.pathname}`, body, auth });
    const path = url.pathname.split("/").slice(2); // after /api
    if (path[0] === "auth") {
      if (path[1] === "login")
        return json({ user: user("u1"), accessToken: "t3", refreshToken: "r3", expiresIn: 900 });
      if (path[1] !== "refresh") return new Response(null, { status: 204 });
      if (this.refreshStatus !== 200) return json({ error: { code: "unauthorized", message: "No." } }, 401);
      return json({ accessToken: "t2", refreshToken: "r2", expiresIn: 900 });
    }
    if (path[0] === "push" && path[1] === "config") return json({ vapidPublicKey: VAPID_KEY });
    if (path[0] === "push" && method === "POST") {
      this.pushEndpoints.add(body.endpoint);
      return json({ id: "s1", endpoint: body.endpoint, expirationTime: null, createdAt: CREATED }, 201);
    }
    if (path[0] === "push") {
      this.pushEndpoints.delete(body.endpoint);
      return new Response(null, { status: 204 });
    }
    if (path[0] === "users" && path[1] === "me") {
      if (method === "PUT") this.notificationPreviews = body.notificationPreviews;
      return json({ ...this.users.u1, notificationPreviews: this.notificationPreviews });
    }
    if (path[0] === "conversations" && path[2] === "mute") {
      const found = this.conversations.find((c) => c.id === path[1]);
      if (!found) return json({ error: { code: "not_found", message: "No conversation has that id." } }, 404);
      found.muted = method === "PUT";
      found.mutedUntil = method === "PUT" ? body.until : null;
      return json(found);
    }
    if (path[0] === "conversations" && path.length === 1) {
      const archived = url.searchParams.get("archived") === "true";
      return json({ items: this.conversations.filter((c) => !!c.archived === archived), nextCursor: null });
    }
    if (path[0] === "conversations" && path[2] === "archived") {
      const found = this.conversations.find((c) => c.id === path[1]);
      if (!found) return json({ error: { code: "not_found", message: "No conversation has that id." } }, 404);
      found.archived = method === "PUT";
      return json(found);
    }
    if (path[0] === "conversations" && path[2] === "changes") {
      const answer = this.changes[path[1] ?? ""];
      return typeof answer === "number"
        ? json({ error: { code: "forbidden", message: "Not a member." } }, answer)
        : json(answer);
    }
    if (path[0] === "conversations" && path[2] === "receipts") {
      return method === "GET"
        ? json({ receipts: this.receipts[path[1] ?? ""] ?? {} })
        : json(JSON.parse(String(init?.body)));
    }
    if (path[0] === "conversations") return json(this.conversations.find((c) => c.id === path[1]));
    if (path[0] === "users") return json(this.users[path[1] ?? ""]);
    if (path[0] === "messages" && method !== "GET") return json({ ...message(2), revision: 5 });
    // History: with after=, the oldest `limit` above it; otherwise the newest `limit`.
    const held = this.messages[path[1] ?? ""] ?? [];
    const limit = Number(url.searchParams.get("limit"));
    const after = url.searchParams.get("after");
    const items =
      after === null ? held.slice(-limit) : held.filter((m) => m.seq > Number(after)).slice(0, limit);
    return json({ items, nextBefore: null });
  };

  asked(prefix: string): string[] {
    return this.requests.filter((r) => r.startsWith(prefix));
  }
}

/** A socket that is open unless told otherwise, and remembers what was sent. */
class FakeSocket implements SocketPort {
  open = true;
  frames: Array<Record<string, unknown>> = [];
  reconnects = 0;
  start(): void {}
  stop(): void {}
  drop(): void {
    this.reconnects += 1;
  }
  reconnectNow(): void {
    this.reconnects += 1;
  }
  send(frame: object): boolean {
    if (this.open) this.frames.push(frame as Record<string, unknown>);
    return this.open;
  }
  sent(action: string): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.action === action);
  }
}

const VAPID_KEY = `BA${"E".repeat(85)}`;

/** This browser's notifications: permission already granted, and a subscription when `subscribed`. */
class FakePushBrowser implements PushBrowser {
  current: (BrowserSubscription & { unsubscribed: boolean }) | null = null;
  dismissed: string[] = [];
  subscribed(endpoint = "https://push.example/1"): this {
    const subscription = {
      endpoint,
      unsubscribed: false,
      options: { applicationServerKey: null, userVisibleOnly: true },
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: "p", auth: "a" } }),
      unsubscribe: async () => {
        subscription.unsubscribed = true;
        return true;
      },
    };
    this.current = subscription;
    return this;
  }
  supported = () => true;
  permission = (): NotificationPermission => "granted";
  requestPermission = async (): Promise<NotificationPermission> => "granted";
  subscription = async () => (this.current?.unsubscribed ? null : this.current);
  subscribe = async () => this.subscribed().current as BrowserSubscription;
  dismiss = async (conversationId: string) => {
    this.dismissed.push(conversationId);
  };
  clearBadge = () => {};
}

let server: FakeServer;
let socket: FakeSocket;
let focused: boolean;
let windowListeners: Record<string, () => void>;
let storage: Map<string, string>;

beforeEach(() => {
  storage = new Map<string, string>();
  const session = { user: user("u1"), accessToken: "t", refreshToken: "r", expiresAt: Date.now() + 600_000 };
  storage.set("chat.session", JSON.stringify(session));
  windowListeners = {};
  focused = true;
  Object.assign(globalThis, {
    window: {
      addEventListener: (type: string, listener: () => void) => {
        windowListeners[type] = listener;
      },
      location: { protocol: "http:", host: "x" },
    },
    document: { visibilityState: "visible", hasFocus: () => focused },
    localStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => storage.set(k, v),
      removeItem: (k: string) => storage.delete(k),
    },
  });
  server = new FakeServer();
  socket = new FakeSocket();
  globalThis.fetch = server.fetch as typeof fetch;
});

afterEach(() => {
  vi.useRealTimers();
});

function newStore(pushBrowser?: PushBrowser): ChatStore {
  return new ChatStore({ apiUrl: "http://x", wsUrl: "ws://x/ws" }, () => socket, pushBrowser);
}

function held(store: ChatStore, id = "c1"): Conversation | undefined {
  return store.getState().conversations.find((c) => c.id === id);
}

/** Lets pending fetches and their follow-ups settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

describe("ChatStore history", () => {
  it("loads the history of a conversation that a push introduced", async () => {
    const store = newStore();
    // Someone started a chat: seq 1..4 arrived while the client was away, seq 5 is pushed now.
    server.messages.c1 = [1, 2, 3, 4, 5].map((seq) => message(seq));
    server.conversations = [conversation("c1", { lastSeq: 5, lastMessage: message(5) })];
    store.onFrame({ type: "messageReceived", message: message(5) });
    await store.loadConversations();
    expect(store.getState().conversations.map((c) => c.id)).toEqual(["c1"]);
    await store.openConversation("c1");
    expect((store.getState().messages.c1 ?? []).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("ChatStore unread counts and receipts", () => {
  beforeEach(() => {
    server.messages.c1 = [message(1), message(2)];
    server.conversations = [
      conversation("c1", { lastSeq: 2, lastMessage: message(2), unreadCount: 2, version: 3 }),
      conversation("c2", { memberIds: ["u1", "u3"], version: 1 }),
    ];
    server.users.u3 = user("u3");
  });

  it("counts each new message from someone else in a conversation not on screen, once", async () => {
    const store = newStore();
    await store.loadConversations();
    store.onFrame({ type: "messageReceived", message: message(3) });
    store.onFrame({ type: "messageReceived", message: message(3) }); // the same push again
    store.onFrame({ type: "messageReceived", message: message(4, "c1", "u1") }); // mine, from another device
    expect(held(store)?.unreadCount).toBe(3);
    expect(unreadTotal(store.getState().conversations)).toBe(3);
    expect(socket.sent("markRead")).toEqual([]);
  });

  it("marks the conversation read when it is shown at its newest message, and clears its count", async () => {
    const store = newStore();
    await store.loadConversations();
    store.viewConversation("c1", true);
    await store.openConversation("c1");
    expect(socket.sent("markRead")).toEqual([{ action: "markRead", conversationId: "c1", seq: 2 }]);
    expect(held(store)?.unreadCount).toBe(0);
    // A message that arrives in view is read, not counted.
    store.onFrame({ type: "messageReceived", message: message(3) });
    expect(held(store)?.unreadCount).toBe(0);
    expect(socket.sent("markRead").map((f) => f.seq)).toEqual([2, 3]);
  });

  it("counts while the reader is scrolled up or the window is in the background, and reads on focus", async () => {
    const store = newStore();
    await store.loadConversations();
    store.viewConversation("c1", false);
    await store.openConversation("c1");
    expect(socket.sent("markRead")).toEqual([]);
    store.viewConversation("c1", true);
    expect(socket.sent("markRead").map((f) => f.seq)).toEqual([2]);
    focused = false;
    store.onFrame({ type: "messageReceived", message: message(3) });
    expect(held(store)?.unreadCount).toBe(1);
    focused = true;
    windowListeners.focus?.();
    expect(socket.sent("markRead").map((f) => f.seq)).toEqual([2, 3]);
    expect(held(store)?.unreadCount).toBe(0);
  });

  it("never marks read lower than what this device sent or another device read", async () => {
    const store = newStore();
    await store.loadConversations();
    store.viewConversation("c1", true);
    await store.openConversation("c1"); // reads 2
    // Another device read up to 7; a stale list copy still says 0: neither makes this device send 2 again.
    store.onFrame({ type: "receipt", conversationId: "c1", userId: "u1", deliveredSeq: 7, readSeq: 7 });
    await store.loadConversations();
    store.onFrame({ type: "messageReceived", message: message(6) });
    store.viewConversation("c1", false);
    store.viewConversation("c1", true);
    store.onFrame({ type: "messageReceived", message: message(8) });
    expect(socket.sent("markRead").map((f) => f.seq)).toEqual([2, 8]);
  });

  it("over HTTP when the socket is closed", async () => {
    socket.open = false;
    const store = newStore();
    await store.loadConversations();
    store.viewConversation("c1", true);
    await store.openConversation("c1");
    expect(server.asked("POST /api/conversations/c1/receipts")).toHaveLength(1);
  });

  it("takes a read on another device: clears the count, or asks the server when it read only part", async () => {
    const store = newStore();
    await store.loadConversations();
    store.onFrame({ type: "messageReceived", message: message(3) });
    expect(held(store)?.unreadCount).toBe(3);
    server.conversations[0] = conversation("c1", {
      lastSeq: 3,
      lastMessage: message(3),
      unreadCount: 1,
      version: 5,
    });
    store.onFrame({ type: "receipt", conversationId: "c1", userId: "u1", deliveredSeq: 2, readSeq: 2 });
    await settle();
    expect(server.asked("GET /api/conversations/c1")).toHaveLength(1);
    expect(held(store)?.unreadCount).toBe(1);
    store.onFrame({ type: "receipt", conversationId: "c1", userId: "u1", deliveredSeq: 3, readSeq: 3 });
    expect(held(store)?.unreadCount).toBe(0);
    // Someone else's receipt only moves their marks.
    store.onFrame({ type: "receipt", conversationId: "c1", userId: "u2", deliveredSeq: 3, readSeq: 1 });
    expect(held(store)?.receipts.u2).toEqual({ deliveredSeq: 3, readSeq: 1 });
  });

  it("says delivered once for what arrives together, with the highest seq", async () => {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    vi.advanceTimersByTime(DELIVERY_DELAY_MS); // the list's newest message: seq 2
    store.onFrame({ type: "messageReceived", message: message(3) });
    store.onFrame({ type: "messageReceived", message: message(1, "c2", "u3") });
    store.onFrame({ type: "messageReceived", message: message(4) });
    expect(socket.sent("markDelivered").map((f) => f.seq)).toEqual([2]);
    vi.advanceTimersByTime(DELIVERY_DELAY_MS);
    expect(socket.sent("markDelivered")).toEqual([
      { action: "markDelivered", conversationId: "c1", seq: 2 },
      { action: "markDelivered", conversationId: "c1", seq: 4 },
      { action: "markDelivered", conversationId: "c2", seq: 1 },
    ]);
  });

  it("updates presence from pushes", async () => {
    const store = newStore();
    await store.loadConversations();
    store.onFrame({ type: "presence", userId: "u2", online: true, lastSeenAt: null });
    expect(store.getState().users.u2?.online).toBe(true);
    store.onFrame({ type: "presence", userId: "u2", online: false, lastSeenAt: CREATED });
    expect(store.getState().users.u2).toMatchObject({ online: false, lastSeenAt: CREATED });
  });
});

describe("ChatStore message and conversation updates", () => {
  beforeEach(() => {
    server.messages.c1 = [message(1), message(2)];
    server.conversations = [conversation("c1", { lastSeq: 2, lastMessage: message(2), version: 3 })];
  });

  it("takes an edit, a deletion or a reaction only when its revision is newer", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    const edited = { ...message(2), text: "edited", editedAt: CREATED, revision: 2 };
    store.onFrame({ type: "messageUpdated", message: edited });
    store.onFrame({
      type: "messageUpdated",
      message: { ...message(2), reactions: { "👍": ["u1"] }, revision: 1 },
    });
    expect(store.getState().messages.c1?.[1]).toEqual(edited);
    expect(held(store)?.lastMessage?.text).toBe("edited");
  });

  it("stops counting a message that is deleted before it is read", async () => {
    const store = newStore();
    await store.loadConversations();
    store.onFrame({ type: "messageReceived", message: message(3) });
    expect(held(store)?.unreadCount).toBe(1);
    const tombstone = { ...message(3), text: "", deletedAt: CREATED, revision: 1 };
    store.onFrame({ type: "messageUpdated", message: tombstone });
    store.onFrame({ type: "messageUpdated", message: tombstone });
    expect(held(store)?.unreadCount).toBe(0);
    expect(held(store)?.lastMessage?.deletedAt).toBe(CREATED);
  });

  it("keeps the local unread count when a pushed conversation has none, and keeps a left group read-only", async () => {
    const store = newStore();
    await store.loadConversations();
    store.onFrame({ type: "messageReceived", message: message(3) });
    const renamed = {
      ...conversation("c1", { version: 5, lastSeq: 3, lastMessage: message(3) }),
      unreadCount: null,
    };
    store.onFrame({ type: "conversationUpdated", conversation: { ...renamed, name: "Renamed" } });
    expect(held(store)).toMatchObject({ name: "Renamed", unreadCount: 1 });
    store.onFrame({
      type: "conversationUpdated",
      conversation: { ...renamed, name: "Renamed", version: 6, memberIds: ["u2"] },
    });
    const left = held(store);
    expect(left && isMember(left, "u1")).toBe(false);
    // An older copy arriving late changes nothing.
    store.onFrame({ type: "conversationUpdated", conversation: { ...renamed, version: 4, name: "Old" } });
    expect(held(store)?.name).toBe("Renamed");
  });

  it("sends edits, deletions and reactions over the socket, and over HTTP when it is closed", async () => {
    const store = newStore();
    store.editMessage("m2", "new text");
    store.react("m2", "👍", true);
    store.deleteMessage("m2");
    expect(socket.frames).toEqual([
      { action: "editMessage", messageId: "m2", text: "new text" },
      { action: "react", messageId: "m2", emoji: "👍", on: true },
      { action: "deleteMessage", messageId: "m2" },
    ]);
    socket.open = false;
    store.react("m2", "👍", false);
    await settle();
    expect(server.asked("POST /api/messages/m2/reactions")).toHaveLength(1);
  });
});

describe("ChatStore catch-up after a reconnect", () => {
  beforeEach(() => {
    server.messages.c1 = [message(1), message(2)];
    server.conversations = [
      conversation("c1", { lastSeq: 2, lastMessage: message(2), version: 3 }),
      conversation("c2", { memberIds: ["u1", "u3"], version: 1 }),
    ];
    server.users.u3 = user("u3");
  });

  it("applies what changed in each conversation since its cursor, and refreshes presence", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    // While away: seq 2 was edited, seq 3 arrived, someone wrote in c2 (whose history is not loaded).
    const edited = { ...message(2), text: "edited", revision: 1 };
    const c1 = conversation("c1", { lastSeq: 3, lastMessage: message(3), unreadCount: 1, version: 6 });
    server.conversations = [c1, conversation("c2", { memberIds: ["u1", "u3"], version: 2, unreadCount: 1 })];
    server.changes.c1 = { conversation: c1, messages: [edited, message(3)], cursor: 6, resync: false };
    server.users.u2 = user("u2", true);
    server.requests = [];
    await store.catchUp();
    expect(server.asked("GET /api/conversations/")).toEqual(["GET /api/conversations/c1/changes?since=3"]);
    expect(store.getState().messages.c1?.map((m) => m.text)).toEqual(["t1", "edited", "t3"]);
    expect(unreadTotal(store.getState().conversations)).toBe(2);
    expect(store.getState().users.u2?.online).toBe(true);
    expect(server.asked("GET /api/users/")).toEqual(["GET /api/users/u2", "GET /api/users/u3"]);
    // The cursor moved: nothing new, nothing asked.
    server.requests = [];
    await store.catchUp();
    expect(server.asked("GET /api/conversations/c1/changes")).toEqual([]);
  });

  it("moves the cursor of a conversation whose messages are held only with the feed, never with pushes", async () => {
    const store = newStore();
    await store.loadConversations(); // cursor 3
    await store.openConversation("c1");
    const renamed = { ...conversation("c1", { lastSeq: 2, lastMessage: message(2), version: 5 }), name: "R" };
    store.onFrame({ type: "conversationUpdated", conversation: { ...renamed, unreadCount: null } });
    server.conversations = [renamed];
    server.changes.c1 = { conversation: renamed, messages: [], cursor: 5, resync: false };
    await store.catchUp();
    expect(server.asked("GET /api/conversations/c1/changes")).toEqual([
      "GET /api/conversations/c1/changes?since=3",
    ]);
    server.conversations = [{ ...renamed, version: 7 }];
    await store.loadConversations(); // the cursor stays at 5: 6 and 7 may be pushes that never came
    server.requests = [];
    server.conversations = [{ ...renamed, version: 8 }];
    server.changes.c1 = { conversation: { ...renamed, version: 8 }, messages: [], cursor: 8, resync: false };
    await store.catchUp();
    expect(server.asked("GET /api/conversations/c1/changes")).toEqual([
      "GET /api/conversations/c1/changes?since=5",
    ]);
  });

  it("reloads the newest page when the server says too much changed", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    server.messages.c1 = [
      message(1),
      { ...message(2), text: "", deletedAt: CREATED, revision: 1 },
      message(3),
    ];
    const c1 = conversation("c1", { lastSeq: 3, lastMessage: message(3), version: 90 });
    server.conversations = [c1];
    server.changes.c1 = { conversation: c1, messages: [], cursor: 90, resync: true };
    await store.catchUp();
    expect(store.getState().messages.c1?.map((m) => [m.seq, m.revision])).toEqual([
      [1, 0],
      [2, 1],
      [3, 0],
    ]);
    server.requests = [];
    server.conversations = [{ ...c1, version: 91 }];
    server.changes.c1 = { conversation: { ...c1, version: 91 }, messages: [], cursor: 91, resync: false };
    await store.catchUp();
    expect(server.asked("GET /api/conversations/c1/changes")).toEqual([
      "GET /api/conversations/c1/changes?since=90",
    ]);
  });

  it("keeps a conversation it was removed from while away, read-only", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    server.conversations = [conversation("c2", { memberIds: ["u1", "u3"], version: 1 })];
    server.changes.c1 = 403;
    await store.catchUp();
    const removed = held(store);
    expect(removed && isMember(removed, "u1")).toBe(false);
    expect(store.getState().messages.c1).toHaveLength(2);
  });
});

describe("ChatStore group receipts", () => {
  // u1 (me) wrote 1 and 2, u2 wrote 3. u2 has read everything, u3 has 2 delivered and read only 1.
  const mine = [message(1, "g1", "u1"), message(2, "g1", "u1")];
  const group = (patch: Partial<Conversation> = {}) =>
    conversation("g1", {
      type: "group",
      name: "G",
      memberIds: ["u1", "u2", "u3"],
      adminIds: ["u1"],
      lastSeq: 3,
      lastMessage: message(3, "g1"),
      receipts: { u1: { deliveredSeq: 3, readSeq: 3 } }, // a group's copy: only my own receipt
      version: 5,
      ...patch,
    });
  const ticks = (store: ChatStore) => {
    const g1 = held(store, "g1");
    return g1 ? mine.map((m) => receiptStatus(m, g1, "u1")) : [];
  };

  beforeEach(() => {
    server.messages.g1 = [...mine, message(3, "g1")];
    server.conversations = [group()];
    server.users.u3 = user("u3");
    server.receipts.g1 = {
      u1: { deliveredSeq: 3, readSeq: 3 },
      u2: { deliveredSeq: 3, readSeq: 3 },
      u3: { deliveredSeq: 2, readSeq: 1 },
    };
  });

  it("asks who has got how far when a group is opened, and a list copy with only my receipt keeps it", async () => {
    const store = newStore();
    await store.loadConversations();
    expect(ticks(store)).toEqual(["sent", "sent"]);
    await store.openConversation("g1");
    expect(server.asked("GET /api/conversations/g1/receipts")).toHaveLength(1);
    expect(ticks(store)).toEqual(["read", "delivered"]);
    const g1 = held(store, "g1");
    expect(g1 && readBy(mine[1] as Message, g1, "u1")).toEqual(["u2"]);
    // A list refresh, a pushed copy ({} receipts) and a catch-up's copy take nothing away.
    server.conversations = [group({ version: 6 })];
    await store.loadConversations();
    store.onFrame({ type: "conversationUpdated", conversation: { ...group({ version: 7 }), receipts: {} } });
    server.conversations = [group({ version: 8 })];
    server.changes.g1 = { conversation: group({ version: 8 }), messages: [], cursor: 8, resync: false };
    await store.catchUp();
    expect(ticks(store)).toEqual(["read", "delivered"]);
    // An answer older than what is held moves no mark back.
    server.receipts.g1 = { u2: { deliveredSeq: 0, readSeq: 0 }, u3: { deliveredSeq: 0, readSeq: 0 } };
    await store.openConversation("g1"); // opened again: asked again
    expect(server.asked("GET /api/conversations/g1/receipts")).toHaveLength(2);
    expect(ticks(store)).toEqual(["read", "delivered"]);
  });

  it("asks again after a catch-up while the group is on screen, and never for a direct chat", async () => {
    server.conversations = [group(), conversation("c1", { version: 1 })];
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    store.viewConversation("g1", true);
    await store.openConversation("g1");
    server.changes.g1 = { conversation: group(), messages: [], cursor: 5, resync: false };
    await store.catchUp();
    expect(server.asked("GET /api/conversations/g1/receipts")).toHaveLength(2);
    expect(server.asked("GET /api/conversations/c1/receipts")).toEqual([]);
  });

  it("advances a tick when a receipt frame arrives", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("g1");
    store.onFrame({ type: "receipt", conversationId: "g1", userId: "u3", deliveredSeq: 2, readSeq: 2 });
    expect(ticks(store)).toEqual(["read", "read"]);
    const g1 = held(store, "g1");
    expect(g1 && readBy(mine[1] as Message, g1, "u1")).toEqual(["u2", "u3"]);
  });
});

describe("ChatStore gaps in pushed messages", () => {
  const c1 = (version: number, last: number) =>
    conversation("c1", { lastSeq: last, lastMessage: message(last), version });
  /** The feed's answer: the conversation at `version`, with the messages of these seqs. */
  const feed = (version: number, seqs: number[]): ChangesPage => ({
    conversation: c1(version, Math.max(...seqs)),
    messages: seqs.map((seq) => message(seq)),
    cursor: version,
    resync: false,
  });

  beforeEach(() => {
    server.messages.c1 = [message(1), message(2)];
    server.conversations = [c1(3, 2)];
  });

  async function openedStore(): Promise<ChatStore> {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    server.requests = [];
    return store;
  }

  const seqs = (store: ChatStore) => store.getState().messages.c1?.map((m) => m.seq);
  const feedReads = () => server.asked("GET /api/conversations/c1/changes");

  it("reads the change feed once when a skipped message has not arrived after the wait", async () => {
    const store = await openedStore();
    server.changes.c1 = feed(5, [3, 4]);
    store.onFrame({ type: "messageReceived", message: message(4) });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS - 1);
    expect(feedReads()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(feedReads()).toEqual(["GET /api/conversations/c1/changes?since=3"]);
    expect(seqs(store)).toEqual([1, 2, 3, 4]);
    expect(socket.reconnects).toBe(0);
  });

  it("finds a lost message after a list load that already counts it", async () => {
    const store = await openedStore();
    // Seq 3's push is lost; a list load (a push from a new chat triggers one) then counts it.
    server.conversations = [c1(4, 3)];
    await store.loadConversations();
    server.changes.c1 = feed(5, [3, 4]);
    store.onFrame({ type: "messageReceived", message: message(4) });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    // The cursor stayed where the held messages are, so the feed still has seq 3.
    expect(feedReads()).toEqual(["GET /api/conversations/c1/changes?since=3"]);
    expect(seqs(store)).toEqual([1, 2, 3, 4]);
  });

  it("follows pushed versions without a hole, so a reconnect reads the feed from there", async () => {
    const store = await openedStore(); // cursor 3
    store.onFrame({ type: "messageReceived", message: message(3), version: 4 });
    store.onFrame({
      type: "messageUpdated",
      message: { ...message(1), text: "edited", revision: 1 },
      version: 5,
    });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 2);
    expect(feedReads()).toEqual([]); // nothing missing: nothing to ask
    server.conversations = [c1(6, 3)];
    server.changes.c1 = feed(6, [3]);
    await store.catchUp();
    expect(feedReads()).toEqual(["GET /api/conversations/c1/changes?since=5"]);
  });

  it("reads the feed once for a change whose push never came, and not for one that came late", async () => {
    const store = await openedStore(); // cursor 3
    // Version 4 (say, a reaction) is on its way when 5 arrives: it comes within the wait.
    store.onFrame({ type: "messageReceived", message: message(3), version: 5 });
    store.onFrame({ type: "messageUpdated", message: { ...message(1), revision: 1 }, version: 4 });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 2);
    expect(feedReads()).toEqual([]);
    // Version 6 is lost for good: after the wait, one feed read from 5 brings it.
    server.changes.c1 = { ...feed(7, [1]), messages: [{ ...message(1), text: "lost edit", revision: 2 }] };
    store.onFrame({ type: "messageUpdated", message: { ...message(2), revision: 1 }, version: 7 });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    expect(feedReads()).toEqual(["GET /api/conversations/c1/changes?since=5"]);
    expect(store.getState().messages.c1?.[0]?.text).toBe("lost edit");
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 5);
    expect(feedReads()).toHaveLength(1);
  });

  it("reads nothing when the skipped message arrives late, within the wait", async () => {
    const store = await openedStore();
    store.onFrame({ type: "messageReceived", message: message(4) });
    store.onFrame({ type: "messageReceived", message: message(3) });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 5);
    expect(feedReads()).toEqual([]);
    expect(seqs(store)).toEqual([1, 2, 3, 4]);
  });

  it("reads once for a seq that never fills, and once for holes found within one wait", async () => {
    const store = await openedStore();
    // Seq 3 was skipped by a resend: the feed never has it.
    server.changes.c1 = feed(6, [4, 6]);
    store.onFrame({ type: "messageReceived", message: message(4) });
    store.onFrame({ type: "messageReceived", message: message(6) }); // a second hole, same wait
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    expect(feedReads()).toHaveLength(1);
    expect(seqs(store)).toEqual([1, 2, 4, 6]);
    // The hole below stays; what comes next in order asks nothing.
    store.onFrame({ type: "messageReceived", message: message(7) });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 10);
    expect(feedReads()).toHaveLength(1);
    expect(seqs(store)).toEqual([1, 2, 4, 6, 7]);
  });
});

describe("ChatStore archived chats", () => {
  beforeEach(() => {
    server.messages.c1 = [message(1), message(2)];
    server.conversations = [
      conversation("c1", { lastSeq: 2, lastMessage: message(2), version: 3, archived: true, unreadCount: 1 }),
      conversation("c2", { memberIds: ["u1", "u3"], version: 1 }),
    ];
    server.users.u3 = user("u3");
  });

  const archivedIds = (store: ChatStore) =>
    store
      .getState()
      .conversations.filter(isArchived)
      .map((c) => c.id);

  it("loads the archived list beside the main one, and a new message brings a chat back", async () => {
    const store = newStore();
    await store.loadConversations();
    expect(server.asked("GET /api/conversations?")).toEqual([
      "GET /api/conversations?limit=50",
      "GET /api/conversations?limit=50&archived=true",
    ]);
    expect(archivedIds(store)).toEqual(["c1"]);
    // The push of a message it was archived with changes nothing; a newer one brings it back
    store.onFrame({ type: "messageReceived", message: message(2) });
    expect(archivedIds(store)).toEqual(["c1"]);
    store.onFrame({ type: "messageReceived", message: message(3) });
    expect(archivedIds(store)).toEqual([]);
  });

  it("archives and unarchives, and takes the state pushed from another device whatever its version", async () => {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c2");
    server.requests = [];
    await store.setArchived("c2", true);
    expect(server.requests).toEqual(["PUT /api/conversations/c2/archived"]);
    expect(archivedIds(store)).toEqual(["c1", "c2"]);
    await store.setArchived("c1", false);
    expect(archivedIds(store)).toEqual(["c2"]);
    // From another device: a copy whose version is below the one held (archiving is no change) ...
    store.onFrame({
      type: "conversationUpdated",
      conversation: conversation("c2", { memberIds: ["u1", "u3"], version: 2, archived: null }),
    });
    store.onFrame({
      type: "archivedChanged",
      conversation: conversation("c2", { memberIds: ["u1", "u3"], version: 1, archived: false }),
    });
    expect(archivedIds(store)).toEqual([]);
    // ... and one above the cursor of a conversation whose history is held: it moves no cursor
    server.requests = [];
    store.onFrame({
      type: "archivedChanged",
      conversation: conversation("c2", { memberIds: ["u1", "u3"], version: 9, archived: true }),
    });
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 2);
    expect(archivedIds(store)).toEqual(["c2"]);
    expect(server.asked("GET /api/conversations/c2/changes")).toEqual([]);
  });

  it("keeps the archived state held when a group update pushed to everyone carries none", async () => {
    const store = newStore();
    await store.loadConversations();
    store.onFrame({
      type: "conversationUpdated",
      conversation: {
        ...conversation("c1", { lastSeq: 2, lastMessage: message(2), version: 4 }),
        archived: null,
      },
    });
    expect(archivedIds(store)).toEqual(["c1"]);
  });

  it("learns on a reconnect what was archived or unarchived elsewhere meanwhile", async () => {
    const store = newStore();
    await store.loadConversations();
    server.conversations = [
      conversation("c1", { lastSeq: 2, lastMessage: message(2), version: 3, unreadCount: 1 }),
      conversation("c2", { memberIds: ["u1", "u3"], version: 1, archived: true, unreadCount: 2 }),
    ];
    await store.catchUp();
    expect(archivedIds(store)).toEqual(["c2"]);
    expect(unreadTotal(store.getState().conversations.filter((c) => !isArchived(c)))).toBe(1);
  });
});

describe("resolveWsUrl", () => {
  it("keeps absolute URLs and puts a path on the page's host with the matching scheme", () => {
    expect(
      resolveWsUrl("wss://abc.execute-api.eu-west-1.amazonaws.com/prod", { protocol: "https:", host: "h" }),
    ).toBe("wss://abc.execute-api.eu-west-1.amazonaws.com/prod");
    expect(resolveWsUrl("/ws", { protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000/ws");
    expect(resolveWsUrl("/ws", { protocol: "https:", host: "chat.example.com" })).toBe(
      "wss://chat.example.com/ws",
    );
  });
});

describe("ChatStore slowing down when the server says rate_limited", () => {
  it("holds a refused send, says so, and sends it again with the same id when the wait is over", async () => {
    vi.useFakeTimers();
    const store = newStore();
    server.conversations = [conversation("c1")];
    await store.loadConversations();
    store.send("c1", "one too many");
    const [sent] = socket.sent("sendMessage");
    const clientMsgId = String(sent?.clientMsgId);

    store.onFrame({
      type: "error",
      code: "rate_limited",
      message: "Too many messages",
      clientMsgId,
      retryAfter: 3,
    });

    expect(store.getState().pending.c1?.[0]?.status).toBe("waiting");
    expect(store.getState().slowDownUntil).toBeGreaterThan(Date.now() + 2_000);
    // A send made meanwhile waits too, rather than being refused again
    store.send("c1", "and another");
    expect(socket.sent("sendMessage")).toHaveLength(1);
    // The ack timeout of the refused send no longer runs: nothing turns "failed" while waiting
    vi.advanceTimersByTime(2_900);
    expect(store.getState().pending.c1?.map((p) => p.status)).toEqual(["waiting", "waiting"]);
    vi.advanceTimersByTime(200);
    expect(store.getState().slowDownUntil).toBeNull();
    // The wait is over: the oldest goes first, alone, with its own clientMsgId
    expect(socket.sent("sendMessage").map((f) => f.clientMsgId)).toEqual([clientMsgId, clientMsgId]);
    expect(store.getState().pending.c1?.map((p) => p.status)).toEqual(["sending", "waiting"]);
    // and its ack lets the next one go, so they arrive in the order they were written
    store.onFrame({
      type: "messageAck",
      clientMsgId,
      message: { ...message(1, "c1", "u1"), clientMsgId, text: "one too many" },
      version: 2,
    });
    const second = store.getState().pending.c1?.[0]?.clientMsgId;
    expect(socket.sent("sendMessage").map((f) => f.clientMsgId)).toEqual([clientMsgId, clientMsgId, second]);
    expect(store.getState().pending.c1?.map((p) => p.status)).toEqual(["sending"]);
  });

  it("releases held messages one at a time, whatever else is acked meanwhile", async () => {
    vi.useFakeTimers();
    const store = newStore();
    server.conversations = [conversation("c1"), conversation("c2", { memberIds: ["u1", "u3"] })];
    await store.loadConversations();
    store.send("c1", "one");
    const one = String(socket.sent("sendMessage")[0]?.clientMsgId);
    store.onFrame({
      type: "error",
      code: "rate_limited",
      message: "Too many",
      clientMsgId: one,
      retryAfter: 1,
    });
    store.send("c1", "two");
    vi.advanceTimersByTime(1_000);
    expect(socket.sent("sendMessage").map((f) => f.text)).toEqual(["one", "one"]); // "one" released alone
    // An ack of something else (another device's send, a late ack) does not release "two"
    store.onFrame({
      type: "messageAck",
      clientMsgId: "elsewhere",
      message: { ...message(9, "c2", "u1"), clientMsgId: "elsewhere" },
      version: 3,
    });
    expect(socket.sent("sendMessage")).toHaveLength(2);
    // "one" settling does
    store.onFrame({
      type: "messageAck",
      clientMsgId: one,
      message: { ...message(1, "c1", "u1"), clientMsgId: one, text: "one" },
      version: 2,
    });
    expect(socket.sent("sendMessage").map((f) => f.text)).toEqual(["one", "one", "two"]);
  });

  it("lets held messages go on when the one ahead of them is refused for another reason", async () => {
    vi.useFakeTimers();
    const store = newStore();
    server.conversations = [conversation("c1")];
    await store.loadConversations();
    store.send("c1", "first");
    const first = String(socket.sent("sendMessage")[0]?.clientMsgId);
    store.onFrame({
      type: "error",
      code: "rate_limited",
      message: "Too many",
      clientMsgId: first,
      retryAfter: 1,
    });
    store.send("c1", "second");
    vi.advanceTimersByTime(1_000); // the first goes again, alone
    expect(socket.sent("sendMessage").map((f) => f.clientMsgId)).toEqual([first, first]);

    store.onFrame({ type: "error", code: "forbidden", message: "Not a member.", clientMsgId: first });

    // The first failed for good (its ack timer gone), and the second went without waiting for it
    expect(store.getState().pending.c1?.map((p) => p.status)).toEqual(["failed", "sending"]);
    expect(socket.sent("sendMessage")).toHaveLength(3);
    vi.advanceTimersByTime(20_000);
    expect(store.getState().pending.c1?.[0]?.status).toBe("failed");
  });

  it("pauses typing the server refused as too many, quietly", async () => {
    vi.useFakeTimers();
    const store = newStore();
    server.conversations = [conversation("c1")];
    await store.loadConversations();
    store.setDraft("c1", "hi");
    store.send("c1", "hi");
    store.setDraft("c1", "");
    expect(socket.sent("typing").map((f) => f.isTyping)).toEqual([true, false]);

    store.onFrame({
      type: "error",
      code: "rate_limited",
      message: "Too many typing updates",
      action: "typing",
      retryAfter: 5,
    });
    vi.advanceTimersByTime(2_500);
    store.setDraft("c1", "again");
    expect(socket.sent("typing")).toHaveLength(2); // paused
    expect(store.getState().notice).toBeNull(); // and nobody is bothered with it
    expect(store.getState().slowDownUntil).toBeNull();
    vi.advanceTimersByTime(2_600);
    store.setDraft("c1", "again!");
    expect(socket.sent("typing")).toHaveLength(3);
  });

  it("says why a send was refused for good", async () => {
    const store = newStore();
    server.conversations = [conversation("c1")];
    await store.loadConversations();
    store.send("c1", "look");
    const clientMsgId = String(socket.sent("sendMessage")[0]?.clientMsgId);
    store.onFrame({
      type: "error",
      code: "invalid_media",
      message: "The file is not a PNG image.",
      clientMsgId,
    });
    expect(store.getState().pending.c1?.[0]?.status).toBe("failed");
    expect(store.getState().notice).toBe("The file is not a PNG image.");
  });

  it("takes Retry-After from an HTTP 429 and retries a send made over HTTP", async () => {
    vi.useFakeTimers();
    let refusals = 1;
    const answer = server.fetch;
    globalThis.fetch = (async (input: string, init?: RequestInit) => {
      if (init?.method === "POST" && String(input).endsWith("/api/messages/") && refusals-- > 0) {
        return new Response(
          JSON.stringify({ error: { code: "rate_limited", message: "Too many messages", retryAfter: 2 } }),
          { status: 429, headers: { "content-type": "application/json", "retry-after": "2" } },
        );
      }
      return answer(input, init);
    }) as typeof fetch;
    const store = newStore();
    server.conversations = [conversation("c1")];
    await store.loadConversations();
    socket.open = false;

    store.send("c1", "hello");
    await vi.waitFor(() => expect(store.getState().pending.c1?.[0]?.status).toBe("waiting"));
    expect(store.getState().slowDownUntil).not.toBeNull();
    await vi.advanceTimersByTimeAsync(2_100);
    await vi.waitFor(() => expect(server.asked("POST /api/messages/")).toHaveLength(1)); // the retry reached the server
    expect(store.getState().slowDownUntil).toBeNull();
  });

  it("shows other refusals (a reaction too many) as a notice, and does not hold sends for them", async () => {
    globalThis.fetch = (async () =>
      new Response(
        JSON.stringify({ error: { code: "rate_limited", message: "Too many reactions", retryAfter: 9 } }),
        {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": "9" },
        },
      )) as typeof fetch;
    const store = newStore();
    socket.open = false;
    store.react("m2", "👍", true);
    await settle();
    expect(store.getState().notice).toBe("Too many reactions");
    expect(store.getState().slowDownUntil).toBeNull();
  });
});

describe("ChatStore muted chats", () => {
  const HOUR = 60 * 60 * 1000;

  beforeEach(() => {
    server.conversations = [conversation("c1", { version: 3 }), conversation("c2", { version: 1 })];
  });

  const mutedIds = (store: ChatStore) =>
    store
      .getState()
      .conversations.filter((c) => isMuted(c))
      .map((c) => c.id);

  it("mutes for a while or until unmuted, and unmutes", async () => {
    vi.useFakeTimers({ now: Date.parse(CREATED), toFake: ["Date"] });
    const store = newStore();
    await store.loadConversations();
    server.sent = [];
    await store.mute("c1", 8 * HOUR);
    expect(server.sent.map((r) => [r.request, r.body])).toEqual([
      ["PUT /api/conversations/c1/mute", { until: "2026-11-24T20:00:00.000Z" }],
    ]);
    expect(mutedIds(store)).toEqual(["c1"]);
    expect(held(store)?.mutedUntil).toBe("2026-11-24T20:00:00.000Z");
    await store.mute("c2", null);
    expect(server.sent.at(-1)?.body).toEqual({ until: null });
    expect(mutedIds(store).sort()).toEqual(["c1", "c2"]);
    await store.unmute("c1");
    expect(server.sent.at(-1)?.request).toBe("DELETE /api/conversations/c1/mute");
    expect(mutedIds(store)).toEqual(["c2"]);
  });

  it("takes the mute pushed from another device whatever its version, and keeps it through copies for all", async () => {
    const store = newStore();
    await store.loadConversations();
    // Muted elsewhere: a copy below the version held (muting is no change of the conversation)
    store.onFrame({
      type: "mutedChanged",
      conversation: conversation("c1", { version: 1, muted: true, mutedUntil: null }),
    });
    expect(mutedIds(store)).toEqual(["c1"]);
    // A group-wide update carries no one's mute: the one held stays
    store.onFrame({
      type: "conversationUpdated",
      conversation: conversation("c1", { version: 4, muted: null, mutedUntil: null }),
    });
    expect(mutedIds(store)).toEqual(["c1"]);
    expect(held(store)?.version).toBe(4);
    store.onFrame({
      type: "mutedChanged",
      conversation: conversation("c1", { version: 4, muted: false, mutedUntil: null }),
    });
    expect(mutedIds(store)).toEqual([]);
  });

  it("shows a mute as ended once its time has passed", async () => {
    vi.useFakeTimers({ now: Date.parse(CREATED) });
    const ends = new Date(Date.parse(CREATED) + HOUR).toISOString();
    server.conversations = [conversation("c1", { muted: true, mutedUntil: ends })];
    const store = newStore();
    await store.loadConversations();
    expect(mutedIds(store)).toEqual(["c1"]);
    expect(isMuted({ muted: true, mutedUntil: ends }, Date.parse(ends))).toBe(false);
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    expect(held(store)?.muted).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(held(store)).toMatchObject({ muted: false, mutedUntil: null });
  });

  it("says why when muting fails", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.mute("nope", null);
    expect(store.getState().notice).toBe("No conversation has that id.");
  });
});

describe("ChatStore push notifications", () => {
  function subscribedAs(userId: string): FakePushBrowser {
    storage.set("chat.push.owner", userId);
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
    const session = JSON.parse(storage.get("chat.session") ?? "{}");
    storage.set("chat.session", JSON.stringify({ ...session, loggedInAt: 5 }));
    const browser = subscribedAs("u1");
    newStore(browser).start();
    await settle();
    expect(server.asked("POST /api/push")).toHaveLength(1);
    // When the app starts again, refreshing its tokens on the way, and the profile is opened
    const expiring = JSON.parse(storage.get("chat.session") ?? "{}");
    storage.set("chat.session", JSON.stringify({ ...expiring, expiresAt: Date.now() }));
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
    storage.set("chat.session", JSON.stringify(session));
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
    focused = false;
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
    expect(JSON.parse(storage.get("chat.session") ?? "{}").user.notificationPreviews).toBe(true);
  });
});
