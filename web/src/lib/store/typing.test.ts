import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { conversation, type FakeEnvironment, message, newStore, signedInEnvironment } from "../../test/fakes";
import { TYPING_REPEAT_MS, TYPING_SHOWN_MS } from ".";
import { withoutEnded, withTyping } from "./typing";

let env: FakeEnvironment;

beforeEach(() => {
  env = signedInEnvironment();
  env.server.conversations = [conversation("c1")];
});

afterEach(() => {
  vi.useRealTimers();
});

const typingFrames = () => env.socket.sent("typing").map((f) => f.isTyping);

describe("ChatStore drafts and typing", () => {
  it("typed tells the others, at most every 2 s, without a state change or a storage write", () => {
    vi.useFakeTimers();
    const store = newStore(env);
    let renders = 0;
    store.subscribe(() => renders++);
    store.typed("c1", "h");
    store.typed("c1", "he");
    vi.advanceTimersByTime(TYPING_REPEAT_MS);
    store.typed("c1", "hel");
    store.typed("c1", "");
    expect(typingFrames()).toEqual([true, true, false]);
    expect(renders).toBe(0);
    expect(store.getState().drafts).toEqual({});
    expect(env.saved.has("chat.drafts.u1")).toBe(false);
  });

  it("saveDraft keeps the draft in the state and in storage, and says nothing to the others", () => {
    const store = newStore(env);
    store.saveDraft("c1", "see you at 6");
    expect(store.getState().drafts).toEqual({ c1: "see you at 6" });
    expect(JSON.parse(env.saved.get("chat.drafts.u1") ?? "{}")).toEqual({ c1: "see you at 6" });
    expect(typingFrames()).toEqual([]);
    // A reload finds it; an empty draft is none
    const reloaded = newStore(env);
    expect(reloaded.getState().drafts.c1).toBe("see you at 6");
    reloaded.saveDraft("c1", "");
    expect(reloaded.getState().drafts).toEqual({});
    expect(JSON.parse(env.saved.get("chat.drafts.u1") ?? "{}")).toEqual({});
  });

  it("saving the same draft again changes nothing", () => {
    const store = newStore(env);
    store.saveDraft("c1", "same");
    const state = store.getState();
    store.saveDraft("c1", "same");
    expect(store.getState()).toBe(state);
  });

  it("shows who is typing until they stop, send, or 6 s pass", async () => {
    vi.useFakeTimers();
    const store = newStore(env);
    await store.loadConversations();
    store.onFrame({ type: "typing", conversationId: "c1", userId: "u2", isTyping: true });
    expect(Object.keys(store.getState().typing.c1 ?? {})).toEqual(["u2"]);
    store.onFrame({ type: "messageReceived", message: message(1) });
    expect(store.getState().typing.c1).toEqual({});
    store.onFrame({ type: "typing", conversationId: "c1", userId: "u2", isTyping: true });
    vi.advanceTimersByTime(TYPING_SHOWN_MS + 10);
    expect(store.getState().typing.c1).toEqual({});
  });
});

describe("typing reducers", () => {
  it("change only the conversation concerned, and nothing when nothing ends", () => {
    const typing = { c1: { u2: 100 }, c2: { u3: 200 } };
    const stopped = withTyping(typing, "c1", "u2", null);
    expect(stopped).toEqual({ c1: {}, c2: { u3: 200 } });
    expect(stopped.c2).toBe(typing.c2);
    expect(withTyping(typing, "c1", "u9", null)).toBe(typing);
    expect(withoutEnded(typing, 50)).toBe(typing);
    const ended = withoutEnded(typing, 150);
    expect(ended).toEqual({ c1: {}, c2: { u3: 200 } });
    expect(ended.c2).toBe(typing.c2);
  });
});
