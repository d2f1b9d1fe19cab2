import { beforeEach, describe, expect, it } from "vitest";
import {
  CREATED,
  conversation,
  type FakeEnvironment,
  type FakeServer,
  type FakeSocket,
  message,
  newStore,
  settle,
  signedInEnvironment,
} from "../../test/fakes";
import { DELETED_EXCERPT, quoteOf } from "../replies";
import type { Message } from "../types";

let env: FakeEnvironment;
let server: FakeServer;
let socket: FakeSocket;

beforeEach(() => {
  env = signedInEnvironment();
  ({ server, socket } = env);
  server.messages.c1 = [1, 2, 3].map((seq) => message(seq));
  server.conversations = [conversation("c1", { lastSeq: 3, lastMessage: message(3), version: 3 })];
});

const seqs = (messages: readonly Message[] | undefined) => (messages ?? []).map((m) => m.seq);

describe("ChatStore replies", () => {
  it("send the quoted message's id, show the quote while sending, and quote nothing after", async () => {
    // Given the reader chose Reply on message 2
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    const original = store.getState().messages.c1?.[1] as Message;
    store.replyTo(original);
    expect(store.getState().replyingTo.c1).toEqual(quoteOf(original));

    // When they send
    store.send("c1", "yes, at one");

    // Then the frame names the original, the pending message shows its quote, and the composer's is gone
    expect(socket.sent("sendMessage")[0]).toMatchObject({ text: "yes, at one", replyTo: "m2" });
    expect(store.getState().pending.c1?.[0]?.replyTo?.messageId).toBe("m2");
    expect(store.getState().replyingTo).toEqual({});
    store.send("c1", "and another");
    expect(socket.sent("sendMessage")[1]).not.toHaveProperty("replyTo");
  });

  it("over HTTP too, and a cancelled reply quotes nothing", async () => {
    socket.open = false;
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    store.replyTo(store.getState().messages.c1?.[0] as Message);
    store.send("c1", "quoted");
    store.replyTo(store.getState().messages.c1?.[0] as Message);
    store.cancelReply("c1");
    store.send("c1", "not quoted");
    await settle();
    const bodies = server.sent.filter((s) => s.request === "POST /api/messages/").map((s) => s.body);
    expect(bodies[0]).toMatchObject({ text: "quoted", replyTo: "m1" });
    expect(bodies[1]).not.toHaveProperty("replyTo");
  });

  it("keep loaded replies' quotes right when their original is edited or deleted", async () => {
    // Given a loaded reply to message 1
    const reply = { ...message(4), replyTo: quoteOf(message(1)) };
    server.messages.c1 = [...(server.messages.c1 ?? []), reply];
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    const replyHeld = () => store.getState().messages.c1?.find((m) => m.id === "m4");
    const untouched = store.getState().messages.c1?.[1];

    // When the original is edited, then deleted
    store.onFrame({
      type: "messageUpdated",
      message: { ...message(1), text: "lunch at 2?", editedAt: CREATED, revision: 1 },
    });
    expect(replyHeld()?.replyTo).toMatchObject({ excerpt: "lunch at 2?", deleted: false });
    store.onFrame({
      type: "messageUpdated",
      message: { ...message(1), text: "", deletedAt: CREATED, revision: 2 },
    });

    // Then the quote says so, and other messages are the objects they were
    expect(replyHeld()?.replyTo).toMatchObject({ excerpt: DELETED_EXCERPT, deleted: true, messageId: "m1" });
    expect(store.getState().messages.c1?.[1]).toBe(untouched);
  });

  it("follow an original older than the pages loaded, which is itself not kept", async () => {
    server.messages.c1 = [...Array.from({ length: 60 }, (_, i) => message(i + 1))];
    server.messages.c1.push({ ...message(61), replyTo: quoteOf(message(1)) });
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    expect(seqs(store.getState().messages.c1)[0]).toBe(12);
    store.onFrame({ type: "messageUpdated", message: { ...message(1), text: "changed", revision: 1 } });
    expect(store.getState().messages.c1?.at(-1)?.replyTo?.excerpt).toBe("changed");
    expect(seqs(store.getState().messages.c1)[0]).toBe(12);
  });
});

describe("ChatStore jumping to a message", () => {
  beforeEach(() => {
    server.messages.c1 = Array.from({ length: 120 }, (_, i) => message(i + 1));
    server.conversations = [conversation("c1", { lastSeq: 120, lastMessage: message(120), version: 120 })];
  });

  it("loads older pages until the message is held, then asks the list to show it", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    expect(seqs(store.getState().messages.c1)[0]).toBe(71);

    await store.jumpTo("c1", "m5", 5);

    expect(seqs(store.getState().messages.c1)[0]).toBe(1);
    expect(server.asked("GET /api/messages/c1?limit=50&before=")).toEqual([
      "GET /api/messages/c1?limit=50&before=71",
      "GET /api/messages/c1?limit=50&before=21",
    ]);
    const jump = store.getState().jump;
    expect(jump).toMatchObject({ conversationId: "c1", messageId: "m5", seq: 5 });
    // The list showed it: the jump is done
    if (jump) store.jumped(jump);
    expect(store.getState().jump).toBeNull();
  });

  it("opens a conversation not loaded yet at the message (a search result), with one newest page", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await Promise.all([store.openConversation("c1"), store.jumpTo("c1", "m100", 100)]);
    expect(server.asked("GET /api/messages/c1")).toEqual(["GET /api/messages/c1?limit=50"]);
    expect(store.getState().jump?.messageId).toBe("m100");
  });

  it("drops the jump when an older page fails, so a later scroll back is not snapped to it", async () => {
    env.fetch = async (input, init) =>
      String(input).includes("before=")
        ? new Response(JSON.stringify({ error: { code: "unavailable", message: "The service is busy." } }), {
            status: 503,
            headers: { "content-type": "application/json" },
          })
        : server.fetch(input, init);
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    await store.jumpTo("c1", "m5", 5);
    expect(store.getState().jump).toBeNull();
    expect(store.getState().notice).not.toBeNull();
  });

  it("says so when the message is no longer in the history", async () => {
    server.messages.c1 = (server.messages.c1 ?? []).filter((m) => m.seq !== 90);
    const store = newStore(env);
    await store.loadConversations();
    await store.jumpTo("c1", "m90", 90);
    expect(store.getState().jump).toBeNull();
    expect(store.getState().notice).toBe("That message is no longer in the chat's history.");
  });

  it("says so when the chat cannot be opened (one left, no longer listed)", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await store.jumpTo("gone", "m1", 1);
    expect(store.getState().notice).toBe("That chat can no longer be opened.");
    expect(store.getState().jump).toBeNull();
  });

  it("a newer jump wins: the older one stops loading pages", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    const open = server.holdAnswers("GET /api/messages/c1?limit=50&before=71");
    const first = store.jumpTo("c1", "m1", 1);
    await settle();
    const second = store.jumpTo("c1", "m80", 80);
    open();
    await Promise.all([first, second]);
    expect(server.asked("GET /api/messages/c1?limit=50&before=")).toEqual([
      "GET /api/messages/c1?limit=50&before=71",
    ]);
    expect(store.getState().jump?.messageId).toBe("m80");
  });
});
