import { beforeEach, describe, expect, it } from "vitest";
import {
  conversation,
  type FakeEnvironment,
  message,
  newStore,
  signedInEnvironment,
  user,
} from "../../test/fakes";
import { resolveWsUrl } from ".";
import { withMessages } from "./history";
import { withoutPending, withPendingStatus } from "./outbox";

let env: FakeEnvironment;

beforeEach(() => {
  env = signedInEnvironment();
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

describe("ChatStore state changes", () => {
  beforeEach(() => {
    env.server.messages = { c1: [message(1)], c2: [message(1, "c2")] };
    env.server.conversations = [
      conversation("c1", { lastSeq: 1, lastMessage: message(1) }),
      conversation("c2", { lastSeq: 1, lastMessage: message(1, "c2") }),
    ];
  });

  it("a message in one conversation replaces only what shows it", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    await store.openConversation("c2");
    const before = store.getState();

    store.onFrame({ type: "messageReceived", message: message(2) });

    const after = store.getState();
    expect(after.messages.c1?.map((m) => m.seq)).toEqual([1, 2]);
    expect(after.messages.c2).toBe(before.messages.c2);
    expect(after.users).toBe(before.users);
    expect(after.drafts).toBe(before.drafts);
    expect(after.uploads).toBe(before.uploads);
    expect(after.pending).toBe(before.pending);
    expect(after.typing).toBe(before.typing);
    expect(after.conversations.find((c) => c.id === "c2")).toBe(
      before.conversations.find((c) => c.id === "c2"),
    );
  });

  it("a change that changes nothing tells no one", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await store.openConversation("c1");
    let told = 0;
    store.subscribe(() => told++);
    store.dismissNotice();
    store.onFrame({ type: "typing", conversationId: "c1", userId: "u2", isTyping: false });
    store.onFrame({ type: "messageUpdated", message: message(1) }); // not newer than the one held
    expect(told).toBe(0);
  });
});

describe("ChatStore environment", () => {
  it("follows the network: back online it reconnects at once, offline it drops the socket", () => {
    newStore(env);
    env.fire("online");
    env.fire("offline");
    expect(env.socket.reconnects).toBe(2);
  });

  it("takes the session another tab refreshed, and follows another tab's log-out", async () => {
    env.server.conversations = [conversation("c1")];
    const store = newStore(env);
    await store.loadConversations();
    const refreshed = { user: user("u1"), accessToken: "t9", refreshToken: "r9", expiresAt: Date.now() + 1 };
    env.otherTabSaves("chat.session", JSON.stringify(refreshed));
    expect(store.getState().session?.accessToken).toBe("t9");
    env.otherTabSaves("chat.session", null);
    expect(store.getState().session).toBeNull();
    expect(store.getState().conversations).toEqual([]);
  });

  it("opens the socket on the page's own host when given a path", async () => {
    let url: string | null = null;
    env.openSocket = (options) => {
      void options.url().then((opened) => {
        url = opened;
      });
      return env.socket;
    };
    newStore(env);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(url).toBe("ws://x/ws?token=t");
  });
});

describe("message and outbox reducers", () => {
  it("leave other conversations and unknown messages as they were", () => {
    const messages = { c1: [message(1)], c2: [message(1, "c2")] };
    const merged = withMessages(messages, "c1", [message(2)]);
    expect(merged.c2).toBe(messages.c2);
    expect(withMessages(messages, "c1", [])).toBe(messages);
    const pending = {
      c1: [
        {
          clientMsgId: "k1",
          conversationId: "c1",
          text: "hi",
          createdAt: "",
          status: "sending" as const,
          attachments: [],
        },
      ],
    };
    expect(withPendingStatus(pending, "c1", "nope", "failed")).toBe(pending);
    expect(withPendingStatus(pending, "c1", "k1", "sending")).toBe(pending);
    expect(withPendingStatus(pending, "c1", "k1", "failed").c1?.[0]?.status).toBe("failed");
    expect(withoutPending(pending, "c2", "k1")).toBe(pending);
    expect(withoutPending(pending, "c1", "k1")).toEqual({ c1: [] });
  });
});
