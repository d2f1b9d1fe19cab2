import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CREATED,
  conversation,
  type FakeEnvironment,
  type FakeServer,
  type FakeSocket,
  held,
  message,
  settle,
  signedInEnvironment,
  newStore as storeIn,
  user,
} from "../../test/fakes";
import { readBy, receiptStatus } from "../messages";
import type { PushBrowser } from "../push";
import type { Conversation, Message } from "../types";
import { type ChatStore, DELIVERY_DELAY_MS, unreadTotal } from ".";

let env: FakeEnvironment;
let server: FakeServer;
let socket: FakeSocket;

beforeEach(() => {
  env = signedInEnvironment();
  ({ server, socket } = env);
});

afterEach(() => {
  vi.useRealTimers();
});

function newStore(pushBrowser?: PushBrowser): ChatStore {
  return storeIn(env, pushBrowser);
}

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
    env.attention = false;
    store.onFrame({ type: "messageReceived", message: message(3) });
    expect(held(store)?.unreadCount).toBe(1);
    env.attention = true;
    env.fire("focus");
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
