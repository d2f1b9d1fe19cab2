import { beforeEach, describe, expect, it } from "vitest";
import {
  CREATED,
  conversation,
  type FakeEnvironment,
  type FakeServer,
  message,
  newStore,
  settle,
  signedInEnvironment,
  user,
} from "../../test/fakes";
import type { Message } from "../types";
import { SEARCH_PAGE_SIZE } from "./search";

let env: FakeEnvironment;
let server: FakeServer;

/** A message with its own id across conversations, as the server's ids are. */
const said = (seq: number, conversationId: string, text: string, senderId = "u2"): Message => ({
  ...message(seq, conversationId, senderId),
  id: `${conversationId}-${seq}`,
  text,
});

beforeEach(() => {
  env = signedInEnvironment();
  ({ server } = env);
  server.users.u3 = user("u3");
  server.users.u4 = user("u4");
  server.messages = {
    c1: [said(1, "c1", "Lunch at the café?"), said(2, "c1", "no thanks")],
    // u4 has left this group: the list's members do not name them
    c2: [said(1, "c2", "CAFE tomorrow", "u4"), said(2, "c2", "lunch café maybe", "u3")],
  };
  server.conversations = [
    conversation("c1"),
    conversation("c2", { type: "group", name: "Team", memberIds: ["u1", "u3"] }),
  ];
});

const found = (store: ReturnType<typeof newStore>) => store.getState().search?.items.map((m) => m.id);

describe("ChatStore message search", () => {
  it("finds messages across chats by their words, newest first, and fetches who wrote them", async () => {
    const store = newStore(env);
    await store.loadConversations();
    expect(store.getState().users.u4).toBeUndefined();
    await store.searchMessages("  Cafe ", null);
    expect(server.asked("GET /api/search")).toEqual(["GET /api/search?q=Cafe&limit=20"]);
    expect(store.getState().search).toMatchObject({ query: "Cafe", conversationId: null, status: "done" });
    expect(found(store)).toEqual(["c2-2", "c2-1", "c1-1"]);
    await settle();
    expect(store.getState().users.u4?.displayName).toBe("U4");
  });

  it("fetches a chat found that the list does not hold (past its first page)", async () => {
    server.messages.c3 = [said(1, "c3", "old café")];
    const store = newStore(env);
    await store.loadConversations();
    server.conversations.push(conversation("c3", { memberIds: ["u1", "u3"] }));
    await store.searchMessages("café", null);
    await settle();
    expect(server.asked("GET /api/conversations/")).toEqual(["GET /api/conversations/c3"]);
    expect(store.getState().conversations.map((c) => c.id)).toContain("c3");
  });

  it("searches one conversation, and pages on with nextBefore", async () => {
    server.messages.c1 = Array.from({ length: SEARCH_PAGE_SIZE + 5 }, (_, i) =>
      said(i + 1, "c1", `word ${i}`),
    );
    const store = newStore(env);
    await store.loadConversations();
    await store.searchMessages("word", "c1");
    expect(store.getState().search?.items).toHaveLength(SEARCH_PAGE_SIZE);
    expect(store.getState().search?.nextBefore).toBe("c1-6");
    await store.searchMore();
    expect(server.asked("GET /api/search")).toEqual([
      "GET /api/search?q=word&limit=20&conversationId=c1",
      "GET /api/search?q=word&limit=20&conversationId=c1&before=c1-6",
    ]);
    expect(found(store)).toHaveLength(SEARCH_PAGE_SIZE + 5);
    expect(store.getState().search?.nextBefore).toBeNull();
  });

  it("answers a query with no words, or too many, without asking the server", async () => {
    const store = newStore(env);
    await store.searchMessages("?! …", null);
    expect(store.getState().search).toMatchObject({ status: "failed", error: "Type a word to search for." });
    await store.searchMessages("a b c d e f g h i j k", null);
    expect(store.getState().search?.error).toBe("Search for 10 words at most.");
    expect(server.asked("GET /api/search")).toEqual([]);
  });

  it("shows only the latest search's answer, and nothing after it is closed", async () => {
    const store = newStore(env);
    await store.loadConversations();
    const open = server.holdAnswers("GET /api/search?q=lunch");
    const first = store.searchMessages("lunch", null);
    await store.searchMessages("tomorrow", null);
    open();
    await first;
    expect(store.getState().search?.query).toBe("tomorrow");
    expect(found(store)).toEqual(["c2-1"]);

    const late = server.holdAnswers("GET /api/search?q=thanks");
    const closed = store.searchMessages("thanks", null);
    store.closeSearch();
    late();
    await closed;
    expect(store.getState().search).toBeNull();
  });

  it("says why a search failed", async () => {
    const fetch = env.fetch;
    env.fetch = async (input, init) =>
      String(input).includes("/api/search")
        ? new Response(JSON.stringify({ error: { code: "rate_limited", message: "Too many searches." } }), {
            status: 429,
          })
        : fetch(input, init);
    const store = newStore(env);
    await store.searchMessages("lunch", null);
    expect(store.getState().search).toMatchObject({
      status: "failed",
      error: "Too many searches.",
      items: [],
    });
  });

  it("shows a result edited or deleted meanwhile as it now is", async () => {
    const store = newStore(env);
    await store.loadConversations();
    await store.searchMessages("thanks", null);
    const deleted = { ...said(2, "c1", ""), deletedAt: CREATED, revision: 1 };
    store.onFrame({ type: "messageUpdated", message: deleted });
    expect(store.getState().search?.items[0]?.deletedAt).toBe(CREATED);
  });
});
