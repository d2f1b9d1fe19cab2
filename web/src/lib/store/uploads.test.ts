import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  conversation,
  type FakeEnvironment,
  message,
  newStore,
  settle,
  signedInEnvironment,
} from "../../test/fakes";
import type { ChatStore } from ".";

let env: FakeEnvironment;

beforeEach(() => {
  env = signedInEnvironment();
  env.server.conversations = [conversation("c1"), conversation("c2")];
});

afterEach(() => {
  vi.restoreAllMocks();
});

const picture = (name: string) => new File([new Uint8Array([137, 80, 78, 71])], name, { type: "image/png" });

/** A store with a picture uploaded in c1's composer, ready to send. */
async function withPictureReady(name = "cat.png"): Promise<ChatStore> {
  const store = newStore(env);
  await store.loadConversations();
  store.attach("c1", [picture(name)]);
  await settle();
  expect(store.getState().uploads.c1?.map((u) => u.status)).toEqual(["done"]);
  return store;
}

describe("ChatStore image previews", () => {
  it("shows a picture's preview while it is sent, and revokes it once the server has the message", async () => {
    const store = await withPictureReady();
    const [url] = env.objectUrls;
    store.send("c1", "");
    const clientMsgId = String(env.socket.sent("sendMessage")[0]?.clientMsgId);
    expect(store.getState().pending.c1?.[0]?.attachments.map((a) => a.url)).toEqual([url]);
    expect(env.revoked).toEqual([]); // the pending message still shows it

    store.onFrame({ type: "messageAck", clientMsgId, message: { ...message(1, "c1", "u1"), clientMsgId } });

    expect(store.getState().pending.c1).toEqual([]);
    expect(env.revoked).toEqual([url]);
  });

  it("keeps a failed send's preview, which it still shows", async () => {
    const store = await withPictureReady();
    store.send("c1", "");
    const clientMsgId = String(env.socket.sent("sendMessage")[0]?.clientMsgId);
    store.onFrame({ type: "error", code: "invalid_media", message: "Not a PNG.", clientMsgId });
    expect(env.revoked).toEqual([]);
  });

  it("revokes a removed upload's preview", async () => {
    const store = await withPictureReady();
    const upload = store.getState().uploads.c1?.[0];
    store.removeUpload("c1", String(upload?.id));
    expect(env.revoked).toEqual(env.objectUrls);
  });

  it("revokes every preview the account held when it signs out: composers' and pending messages'", async () => {
    const store = await withPictureReady("sent.png");
    store.send("c1", "");
    store.attach("c2", [picture("composed.png")]);
    await settle();
    expect(env.liveObjectUrls()).toHaveLength(2);

    await store.logOut();

    expect(env.liveObjectUrls()).toEqual([]);
    expect(store.getState().uploads).toEqual({});
  });

  it("revokes them when another tab logs out, or another account signs in here", async () => {
    const store = await withPictureReady();
    env.otherTabSaves("chat.session", null);
    expect(store.getState().session).toBeNull();
    expect(env.liveObjectUrls()).toEqual([]);

    await store.logIn("u1", "password123");
    store.attach("c1", [picture("again.png")]);
    await settle();
    await store.logIn("u1", "password123");
    expect(env.liveObjectUrls()).toEqual([]);
  });

  it("revokes them when the login ends on its own (its refresh refused)", async () => {
    const store = await withPictureReady("sent.png");
    store.send("c1", "");
    store.attach("c2", [picture("composed.png")]);
    await settle();
    expect(env.liveObjectUrls()).toHaveLength(2);
    env.server.refreshStatus = 401;
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + 3_600_000); // the access token has expired

    await store.loadConversations();

    expect(store.getState().session).toBeNull();
    expect(env.liveObjectUrls()).toEqual([]);
    expect(store.getState().uploads).toEqual({});
    expect(store.getState().pending).toEqual({});
  });
});
