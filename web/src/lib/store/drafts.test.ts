import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { conversation, type FakeEnvironment, newStore, settle, signedInEnvironment } from "../../test/fakes";

const U1_DRAFTS = "chat.drafts.u1";

let env: FakeEnvironment;

beforeEach(() => {
  env = signedInEnvironment();
  env.server.conversations = [conversation("c1"), conversation("c2")];
});

afterEach(() => {
  vi.restoreAllMocks();
});

const stored = (key = U1_DRAFTS) => JSON.parse(env.saved.get(key) ?? "{}");

describe("ChatStore drafts in two tabs", () => {
  it("keeps each tab's draft when the other saves one, and shows both in each", () => {
    const tabA = newStore(env);
    const tabB = newStore(env.newTab());
    tabA.saveDraft("c1", "from A");
    tabB.saveDraft("c2", "from B");
    expect(stored()).toEqual({ c1: "from A", c2: "from B" });
    expect(tabA.getState().drafts).toEqual({ c1: "from A", c2: "from B" });
    expect(tabB.getState().drafts).toEqual({ c1: "from A", c2: "from B" });
    // A draft sent (cleared) in one tab goes from the other too, and leaves the rest
    tabA.saveDraft("c2", "");
    expect(stored()).toEqual({ c1: "from A" });
    expect(tabB.getState().drafts).toEqual({ c1: "from A" });
  });

  it("follows storage cleared by another tab", () => {
    const store = newStore(env);
    store.saveDraft("c1", "soon gone");
    env.otherTabSaves(U1_DRAFTS, null);
    expect(store.getState().drafts).toEqual({});
  });
});

describe("ChatStore drafts per user", () => {
  it("shows a user only their own drafts, and gives them back at their next sign-in", async () => {
    const store = newStore(env);
    store.saveDraft("c1", "u1's words");
    await store.logOut();
    expect(store.getState().drafts).toEqual({});
    // The composer closing after the log-out still saves into the user who typed it
    store.saveDraft("c2", "u1's last words");
    expect(store.getState().drafts).toEqual({});

    await store.logIn("u3", "password123");
    expect(store.getState().drafts).toEqual({});
    store.saveDraft("c1", "u3's words");
    await store.logOut();

    await store.logIn("u1", "password123");
    expect(store.getState().drafts).toEqual({ c1: "u1's words", c2: "u1's last words" });
    expect(stored("chat.drafts.u3")).toEqual({ c1: "u3's words" });
    await settle();
  });

  it("clears the drafts shown when the login ends on its own, keeping them for the next sign-in", async () => {
    env.server.refreshStatus = 401;
    const store = newStore(env);
    store.saveDraft("c1", "kept");
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + 3_600_000); // the access token has expired
    await store.loadConversations();
    expect(store.getState().session).toBeNull();
    expect(store.getState().drafts).toEqual({});
    expect(stored()).toEqual({ c1: "kept" });
  });

  it("ignores the drafts saved for no one in particular, and removes them", () => {
    env.saved.set("chat.drafts", JSON.stringify({ c1: "whose?" }));
    const store = newStore(env);
    expect(store.getState().drafts).toEqual({});
    expect(env.saved.has("chat.drafts")).toBe(false);
  });
});
