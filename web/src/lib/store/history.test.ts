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
import type { PushBrowser } from "../push";
import type { ChangesPage } from "../types";
import { type ChatStore, GAP_WAIT_MS, isMember, unreadTotal } from ".";

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

describe("ChatStore older history", () => {
  beforeEach(() => {
    server.messages.c1 = Array.from({ length: 70 }, (_, i) => message(i + 1));
    server.conversations = [conversation("c1", { lastSeq: 70, lastMessage: message(70), version: 3 })];
  });

  const seqs = (store: ChatStore) => store.getState().messages.c1?.map((m) => m.seq) ?? [];

  it("tells the reader when an older page fails to load, and loads it on the next try", async () => {
    let failures = 1;
    env.fetch = async (input, init) => {
      if (String(input).includes("before=") && failures-- > 0) {
        return new Response(
          JSON.stringify({ error: { code: "unavailable", message: "The service is busy." } }),
          { status: 503, headers: { "content-type": "application/json" } },
        );
      }
      return server.fetch(input, init);
    };
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    expect(seqs(store)).toHaveLength(50);

    expect(await store.loadOlder("c1")).toBe(false); // resolves: nothing left unhandled

    expect(store.getState().notice).toBe("The service is busy.");
    expect(seqs(store)).toHaveLength(50);
    expect(store.getState().hasOlder.c1).toBe(true);
    store.dismissNotice();
    expect(await store.loadOlder("c1")).toBe(true);
    expect(seqs(store)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(store.getState().hasOlder.c1).toBe(false);
    expect(store.getState().notice).toBeNull();
  });

  it("asks once for an older page however often the scroll asks while it loads", async () => {
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    server.requests = [];
    await Promise.all([store.loadOlder("c1"), store.loadOlder("c1")]);
    expect(server.asked("GET /api/messages/c1")).toEqual(["GET /api/messages/c1?limit=50&before=21"]);
    expect(seqs(store)).toHaveLength(70);
  });
});

describe("ChatStore history requests the previous account made", () => {
  const seqs = (store: ChatStore) => store.getState().messages.c1?.map((m) => m.seq) ?? [];
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /** u1 asks for c1's older page (held back); then u3, in the same group, signs in and opens it. */
  async function olderPageOfU1LeftForU3(): Promise<{
    store: ChatStore;
    u1Older: Promise<boolean>;
    arrive: () => void;
  }> {
    server.messages.c1 = range(1, 70).map((seq) => message(seq));
    server.conversations = [
      conversation("c1", {
        type: "group",
        memberIds: ["u1", "u2", "u3"],
        lastSeq: 70,
        lastMessage: message(70),
      }),
    ];
    const store = newStore();
    await store.loadConversations();
    await store.openConversation("c1");
    const arrive = server.holdAnswers("GET /api/messages/c1?limit=50&before=21");
    const u1Older = store.loadOlder("c1");
    await store.logOut();
    await store.logIn("u3", "password123");
    await settle();
    // Ten more messages meanwhile: u3's pages are not u1's
    server.messages.c1 = range(1, 80).map((seq) => message(seq));
    await store.openConversation("c1");
    expect(seqs(store)).toEqual(range(31, 80));
    return { store, u1Older, arrive };
  }

  it("an older page that arrives after the account changed leaves the new account's history alone", async () => {
    const { store, u1Older, arrive } = await olderPageOfU1LeftForU3();
    const before = store.getState();
    arrive();
    await u1Older;
    await settle();
    expect(seqs(store)).toEqual(range(31, 80));
    expect(store.getState().messages).toBe(before.messages);
    expect(store.getState().hasOlder).toBe(before.hasOlder);
  });

  it("a failed one neither tells the new account nor ends its own loading of that conversation's older page", async () => {
    const fetch = server.fetch;
    server.fetch = async (input, init) => {
      const answer = await fetch(input, init);
      return String(input).includes("before=21")
        ? new Response(JSON.stringify({ error: { code: "unavailable", message: "The service is busy." } }), {
            status: 503,
            headers: { "content-type": "application/json" },
          })
        : answer;
    };
    const { store, u1Older, arrive } = await olderPageOfU1LeftForU3();
    const u3Arrives = server.holdAnswers("GET /api/messages/c1?limit=50&before=31");
    const u3Older = store.loadOlder("c1");
    arrive();
    await u1Older;
    expect(store.getState().notice).toBeNull();
    const again = store.loadOlder("c1"); // a scroll asking again shares the one in flight
    u3Arrives();
    await Promise.all([u3Older, again]);
    expect(server.asked("GET /api/messages/c1?limit=50&before=31")).toHaveLength(1);
    expect(seqs(store)).toEqual(range(1, 80));
  });
});
