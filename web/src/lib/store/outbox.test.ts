import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  conversation,
  type FakeEnvironment,
  type FakeServer,
  type FakeSocket,
  message,
  settle,
  signedInEnvironment,
  newStore as storeIn,
} from "../../test/fakes";
import type { PushBrowser } from "../push";
import { ACK_TIMEOUT_MS, type ChatStore, DELIVERY_DELAY_MS } from ".";

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
    store.typed("c1", "hi");
    store.send("c1", "hi");
    store.typed("c1", "");
    expect(socket.sent("typing").map((f) => f.isTyping)).toEqual([true, false]);

    store.onFrame({
      type: "error",
      code: "rate_limited",
      message: "Too many typing updates",
      action: "typing",
      retryAfter: 5,
    });
    vi.advanceTimersByTime(2_500);
    store.typed("c1", "again");
    expect(socket.sent("typing")).toHaveLength(2); // paused
    expect(store.getState().notice).toBeNull(); // and nobody is bothered with it
    expect(store.getState().slowDownUntil).toBeNull();
    vi.advanceTimersByTime(2_600);
    store.typed("c1", "again!");
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
    env.fetch = async (input: string, init?: RequestInit) => {
      if (init?.method === "POST" && String(input).endsWith("/api/messages/") && refusals-- > 0) {
        return new Response(
          JSON.stringify({ error: { code: "rate_limited", message: "Too many messages", retryAfter: 2 } }),
          { status: 429, headers: { "content-type": "application/json", "retry-after": "2" } },
        );
      }
      return answer(input, init);
    };
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
    env.fetch = async () =>
      new Response(
        JSON.stringify({ error: { code: "rate_limited", message: "Too many reactions", retryAfter: 9 } }),
        {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": "9" },
        },
      );
    const store = newStore();
    socket.open = false;
    store.react("m2", "👍", true);
    await settle();
    expect(store.getState().notice).toBe("Too many reactions");
    expect(store.getState().slowDownUntil).toBeNull();
  });
});

describe("ChatStore ack timers", () => {
  beforeEach(() => {
    server.conversations = [conversation("c1")];
  });

  const statuses = (store: ChatStore) => store.getState().pending.c1?.map((p) => p.status);

  it("an error frame ends the send's ack timer, so a Retry fails only by its own", async () => {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    store.send("c1", "look");
    const clientMsgId = String(socket.sent("sendMessage")[0]?.clientMsgId);
    vi.advanceTimersByTime(1_000);
    store.onFrame({ type: "error", code: "invalid_media", message: "Not a PNG.", clientMsgId });
    expect(statuses(store)).toEqual(["failed"]);
    vi.advanceTimersByTime(1_000);
    store.retry("c1", clientMsgId);
    // The first attempt's 10 s are up: the retried send is still in flight
    vi.advanceTimersByTime(ACK_TIMEOUT_MS - 1_000);
    expect(statuses(store)).toEqual(["sending"]);
    vi.advanceTimersByTime(1_000);
    expect(statuses(store)).toEqual(["failed"]);
  });

  it("a Retry starts a fresh ack timer: an earlier attempt's never fails the message in flight", async () => {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    store.send("c1", "hello");
    const clientMsgId = String(socket.sent("sendMessage")[0]?.clientMsgId);
    vi.advanceTimersByTime(6_000);
    store.retry("c1", clientMsgId);
    expect(socket.sent("sendMessage").map((f) => f.clientMsgId)).toEqual([clientMsgId, clientMsgId]);
    vi.advanceTimersByTime(ACK_TIMEOUT_MS - 1);
    expect(statuses(store)).toEqual(["sending"]);
    vi.advanceTimersByTime(1);
    expect(statuses(store)).toEqual(["failed"]);
  });

  it("a Retry answers the notice the refusal raised; a new refusal raises it again", async () => {
    const store = newStore();
    await store.loadConversations();
    store.send("c1", "are you there?");
    const clientMsgId = String(socket.sent("sendMessage")[0]?.clientMsgId);
    store.onFrame({
      type: "error",
      code: "forbidden",
      message: "This message could not be sent.",
      clientMsgId,
    });
    expect(store.getState().notice).toBe("This message could not be sent.");

    store.retry("c1", clientMsgId);
    expect(store.getState().notice).toBeNull();
    expect(statuses(store)).toEqual(["sending"]);

    store.onFrame({
      type: "error",
      code: "forbidden",
      message: "This message could not be sent.",
      clientMsgId,
    });
    expect(store.getState().notice).toBe("This message could not be sent.");
    expect(statuses(store)).toEqual(["failed"]);
  });

  it("a held send is not retried out of its turn", async () => {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    store.send("c1", "one");
    const clientMsgId = String(socket.sent("sendMessage")[0]?.clientMsgId);
    store.onFrame({ type: "error", code: "rate_limited", message: "Too many", clientMsgId, retryAfter: 3 });
    store.retry("c1", clientMsgId);
    expect(socket.sent("sendMessage")).toHaveLength(1);
    expect(statuses(store)).toEqual(["waiting"]);
  });

  it("logging out stops the ack timers of sends in flight: none outlives the account", async () => {
    vi.useFakeTimers();
    const store = newStore();
    await store.loadConversations();
    vi.advanceTimersByTime(DELIVERY_DELAY_MS);
    store.send("c1", "bye");
    expect(vi.getTimerCount()).toBe(1);
    await store.logOut();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("ChatStore sends over HTTP when the account changes", () => {
  it("a send that settles after a log-out and another's sign-in leaves the new account's state alone", async () => {
    server.conversations = [conversation("c1")];
    const store = newStore();
    await store.loadConversations();
    socket.open = false;
    const arrive = server.holdAnswers("POST /api/messages/");
    store.send("c1", "sent by u1");
    await store.logOut();
    await store.logIn("u3", "password123");
    await settle();
    const before = store.getState();
    arrive();
    await settle();
    expect(store.getState().messages).toBe(before.messages);
    expect(store.getState().messages.c1).toBeUndefined();
    expect(store.getState().conversations).toBe(before.conversations);
  });

  it("nor does one the server refused as too fast", async () => {
    server.conversations = [conversation("c1")];
    const store = newStore();
    await store.loadConversations();
    socket.open = false;
    const arrive = server.holdAnswers("POST /api/messages/");
    const fetch = server.fetch;
    server.fetch = async (input, init) => {
      const answer = await fetch(input, init);
      return init?.method === "POST" && String(input).endsWith("/api/messages/")
        ? new Response(JSON.stringify({ error: { code: "rate_limited", message: "Slow down." } }), {
            status: 429,
            headers: { "content-type": "application/json", "retry-after": "30" },
          })
        : answer;
    };
    store.send("c1", "sent by u1");
    await store.logOut();
    await store.logIn("u3", "password123");
    await settle();
    arrive();
    await settle();
    expect(store.getState().slowDownUntil).toBeNull();
  });
});
