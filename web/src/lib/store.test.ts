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

describe("ChatStore catch-up after a reconnect", () => {
  let requests: string[];

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
    // The server holds seq 1..150 for c1; the client already has 1..2.
    globalThis.fetch = (async (input: string) => {
      const url = new URL(input);
      requests.push(url.pathname + url.search);
      if (url.pathname === "/api/conversations") return json({ items: [], nextCursor: null });
      const after = Number(url.searchParams.get("after"));
      const limit = Number(url.searchParams.get("limit"));
      const items = [];
      for (let seq = after + 1; seq <= Math.min(150, after + limit); seq++) items.push(message(seq));
      return json({ items, nextBefore: null });
    }) as typeof fetch;
  });

  it("pages forward from the last seq it holds until it has everything, each message once", async () => {
    const store = new ChatStore({ apiUrl: "http://x", wsUrl: "ws://x/ws" });
    store.onFrame({ type: "messageReceived", message: message(1) });
    store.onFrame({ type: "messageReceived", message: message(2) });
    store.onFrame({ type: "messageReceived", message: message(2) }); // a duplicate push changes nothing
    await store.catchUp();
    const held = store.getState().messages.c1 ?? [];
    expect(held.map((m) => m.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(requests.filter((r) => r.startsWith("/api/messages/"))).toEqual([
      "/api/messages/c1?limit=100&after=2",
      "/api/messages/c1?limit=100&after=102",
    ]);
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
