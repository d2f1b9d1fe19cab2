import { beforeEach, describe, expect, it } from "vitest";
import { ChatStore, resolveWsUrl } from "./store";
import type { Message } from "./types";

function message(seq: number, conversationId = "c1"): Message {
  return {
    id: `m${seq}`,
    conversationId,
    senderId: "u2",
    text: `t${seq}`,
    clientMsgId: `k${seq}`,
    seq,
    createdAt: "2026-11-24T12:00:00.000Z",
  };
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
}

describe("ChatStore history", () => {
  let requests: string[];
  let held: number; // how many messages the server holds for c1

  beforeEach(() => {
    const storage = new Map<string, string>();
    const session = {
      user: { id: "u1", username: "me", displayName: "Me", createdAt: "2026-11-24T12:00:00.000Z" },
      accessToken: "t",
      refreshToken: "r",
      expiresAt: Date.now() + 600_000,
    };
    storage.set("chat.session", JSON.stringify(session));
    Object.assign(globalThis, {
      window: { addEventListener: () => {}, location: { protocol: "http:", host: "x" } },
      localStorage: {
        getItem: (k: string) => storage.get(k) ?? null,
        setItem: (k: string, v: string) => storage.set(k, v),
        removeItem: (k: string) => storage.delete(k),
      },
    });
    requests = [];
    held = 2;
    const conversation = {
      id: "c1",
      type: "direct",
      name: null,
      memberIds: ["u1", "u2"],
      createdBy: "u2",
      createdAt: "2026-11-24T11:00:00.000Z",
      lastSeq: 0,
      lastMessage: null,
    };
    globalThis.fetch = (async (input: string) => {
      const url = new URL(input);
      requests.push(url.pathname + url.search);
      if (url.pathname === "/api/conversations") return json({ items: [conversation], nextCursor: null });
      if (url.pathname.startsWith("/api/users/"))
        return json({ id: "u2", username: "u2", displayName: "U2", createdAt: conversation.createdAt });
      const limit = Number(url.searchParams.get("limit"));
      const after = url.searchParams.get("after");
      // With after=: the oldest `limit` above it; without: the newest `limit`.
      const first = after === null ? Math.max(1, held - limit + 1) : Number(after) + 1;
      const last = after === null ? held : Math.min(held, Number(after) + limit);
      const items = [];
      for (let seq = first; seq <= last; seq++) items.push(message(seq));
      return json({ items, nextBefore: null });
    }) as typeof fetch;
  });

  it("catches up by paging forward from the last seq it holds, each message once", async () => {
    const store = new ChatStore({ apiUrl: "http://x", wsUrl: "ws://x/ws" });
    await store.loadConversations();
    await store.openConversation("c1"); // holds seq 1..2
    store.onFrame({ type: "messageReceived", message: message(2) }); // a duplicate push changes nothing
    held = 150; // 148 more arrive while the client is away
    requests = [];
    await store.catchUp();
    const kept = store.getState().messages.c1 ?? [];
    expect(kept.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(requests.filter((r) => r.startsWith("/api/messages/"))).toEqual([
      "/api/messages/c1?limit=100&after=2",
      "/api/messages/c1?limit=100&after=102",
    ]);
  });

  it("loads the history of a conversation that a push introduced", async () => {
    const store = new ChatStore({ apiUrl: "http://x", wsUrl: "ws://x/ws" });
    held = 5; // someone started a chat: seq 1..4 arrived while the client was away, seq 5 is pushed now
    store.onFrame({ type: "messageReceived", message: message(5) });
    await store.loadConversations();
    expect(store.getState().conversations.map((c) => c.id)).toEqual(["c1"]);
    await store.openConversation("c1");
    expect((store.getState().messages.c1 ?? []).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
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
