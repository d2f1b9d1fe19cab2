import { beforeEach, describe, expect, it } from "vitest";
import {
  CREATED,
  conversation,
  type FakeEnvironment,
  type FakeServer,
  held,
  message,
  newStore,
  settle,
  signedInEnvironment,
} from "../../test/fakes";

let env: FakeEnvironment;
let server: FakeServer;

const GROUP = { type: "group" as const, name: "Team", memberIds: ["u1", "u2", "u3"] };
/** A message from u2 in group g1; `mentions` names who it mentions. */
const inGroup = (seq: number, mentions: string[] = []) => ({ ...message(seq, "g1"), mentions });

beforeEach(() => {
  env = signedInEnvironment();
  ({ server } = env);
  server.messages.g1 = [inGroup(1)];
  server.conversations = [conversation("g1", { ...GROUP, lastSeq: 1, lastMessage: inGroup(1), version: 1 })];
});

describe("ChatStore mention counts", () => {
  it("come from the list, count pushed messages that mention me, and go when the chat is read", async () => {
    server.conversations[0] = {
      ...(server.conversations[0] ?? conversation("g1")),
      unreadCount: 1,
      mentionCount: 1,
    };
    env.attention = false;
    const store = newStore(env);
    await store.loadConversations();
    expect(held(store, "g1")?.mentionCount).toBe(1);

    // Pushed: one naming me, one naming someone else
    store.onFrame({ type: "messageReceived", message: inGroup(2, ["u1"]) });
    store.onFrame({ type: "messageReceived", message: inGroup(3, ["u3"]) });
    expect(held(store, "g1")).toMatchObject({ unreadCount: 3, mentionCount: 2 });

    // Read on another device, up to the newest: both counts go
    store.onFrame({ type: "receipt", conversationId: "g1", userId: "u1", deliveredSeq: 3, readSeq: 3 });
    expect(held(store, "g1")).toMatchObject({ unreadCount: 0, mentionCount: 0 });
  });

  it("go when the reader sees the newest message here", async () => {
    env.attention = false;
    const store = newStore(env);
    await store.loadConversations();
    server.messages.g1?.push(inGroup(2, ["u1"]));
    store.onFrame({ type: "messageReceived", message: inGroup(2, ["u1"]) });
    expect(held(store, "g1")?.mentionCount).toBe(1);
    env.attention = true;
    await store.openConversation("g1");
    store.viewConversation("g1", true);
    expect(held(store, "g1")).toMatchObject({ unreadCount: 0, mentionCount: 0 });
  });

  it("follow an unread message's deletion, and an edit that names me or no longer does", async () => {
    env.attention = false;
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("g1");
    store.onFrame({ type: "messageReceived", message: inGroup(2) });
    store.onFrame({ type: "messageReceived", message: inGroup(3, ["u1"]) });
    expect(held(store, "g1")).toMatchObject({ unreadCount: 2, mentionCount: 1 });

    // An edit of message 2 names me; one of message 3 names me no longer
    store.onFrame({
      type: "messageUpdated",
      message: { ...inGroup(2, ["u1"]), revision: 1, editedAt: CREATED },
    });
    expect(held(store, "g1")?.mentionCount).toBe(2);
    store.onFrame({ type: "messageUpdated", message: { ...inGroup(3, []), revision: 1, editedAt: CREATED } });
    expect(held(store, "g1")?.mentionCount).toBe(1);

    // Message 2 is deleted: neither unread nor a mention any more
    store.onFrame({
      type: "messageUpdated",
      message: { ...inGroup(2, []), text: "", deletedAt: CREATED, revision: 2 },
    });
    expect(held(store, "g1")).toMatchObject({ unreadCount: 1, mentionCount: 0 });
  });

  it("a pushed copy of the conversation (null counts) keeps the counts held", async () => {
    env.attention = false;
    const store = newStore(env);
    await store.loadConversations();
    store.onFrame({ type: "messageReceived", message: inGroup(2, ["u1"]) });
    const pushed = conversation("g1", {
      ...GROUP,
      name: "Renamed",
      lastSeq: 2,
      lastMessage: inGroup(2, ["u1"]),
      version: 5,
      unreadCount: null,
      mentionCount: null,
      archived: null,
      muted: null,
    });
    store.onFrame({ type: "conversationUpdated", conversation: pushed });
    expect(held(store, "g1")).toMatchObject({ name: "Renamed", unreadCount: 1, mentionCount: 1 });
  });

  it("count a message naming me that was pushed before its chat was listed", async () => {
    env.attention = false;
    server.conversations = [];
    const store = newStore(env);
    await store.loadConversations();
    // The list's answer was made before the message: it counts none of it
    server.conversations = [conversation("g1", { ...GROUP, lastSeq: 0, version: 0 })];
    const answer = server.holdAnswers("GET /api/conversations");
    store.onFrame({ type: "messageReceived", message: inGroup(1, ["u1"]) });
    answer();
    await settle();
    expect(held(store, "g1")).toMatchObject({ unreadCount: 1, mentionCount: 1 });
  });
});
