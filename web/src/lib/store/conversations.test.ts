import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CREATED,
  conversation,
  type FakeEnvironment,
  type FakeServer,
  held,
  message,
  signedInEnvironment,
  newStore as storeIn,
  user,
} from "../../test/fakes";
import type { PushBrowser } from "../push";
import { type ChatStore, GAP_WAIT_MS, isArchived, isMuted, unreadTotal } from ".";

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

describe("ChatStore a chat someone else starts", () => {
  it("counts every unread message, however its pushes and the list's answers interleave", async () => {
    // Each list answer is what the server held when it was asked; the test says when it arrives.
    const answers: Array<() => void> = [];
    env.fetch = async (input, init) => {
      if (new URL(String(input)).pathname !== "/api/conversations") return server.fetch(input, init);
      const body = await (await server.fetch(input, init)).text();
      await new Promise<void>((release) => answers.push(release));
      return new Response(body, { headers: { "content-type": "application/json" } });
    };
    const store = newStore();
    const listed = (seq: number) =>
      conversation("c9", { lastSeq: seq, lastMessage: message(seq, "c9"), version: seq, unreadCount: seq });
    const pushed = (seq: number) =>
      store.onFrame({ type: "messageReceived", message: message(seq, "c9"), version: seq });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

    // Alice's first message is pushed to a chat not listed here yet: the list is asked for (answer A)
    server.conversations = [listed(1)];
    pushed(1);
    await vi.waitFor(() => expect(answers).toHaveLength(2)); // the main list and the archived one
    // her second, before answer A is back: asked again (answer B, which counts two)
    server.conversations = [listed(2)];
    pushed(2);
    await vi.waitFor(() => expect(answers).toHaveLength(4));
    // answer A arrives, then her third message's push, then answer B
    for (const release of answers.slice(0, 2)) release();
    await vi.waitFor(() => expect(store.getState().conversations.map((c) => c.id)).toEqual(["c9"]));
    server.conversations = [listed(3)];
    pushed(3);
    for (const release of answers.slice(2)) release();
    await settle();

    expect(store.getState().conversations[0]?.unreadCount).toBe(3);
  });
});
