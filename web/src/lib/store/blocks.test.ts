import { beforeEach, describe, expect, it } from "vitest";
import {
  type FakeEnvironment,
  type FakeServer,
  newStore,
  settle,
  signedInEnvironment,
  user,
} from "../../test/fakes";

let env: FakeEnvironment;
let server: FakeServer;

beforeEach(() => {
  env = signedInEnvironment();
  ({ server } = env);
  server.users.u3 = { ...user("u3"), displayName: "Mallory" };
});

describe("ChatStore blocking", () => {
  it("learns whom this user blocked when it starts, with their profiles", async () => {
    server.blocked = ["u3"];
    const store = newStore(env);
    expect(store.getState().blocked).toBeNull();
    store.start();
    await settle();
    expect(store.getState().blocked).toEqual(["u3"]);
    expect(store.getState().users.u3?.displayName).toBe("Mallory");
  });

  it("blocks and unblocks, the latest first, as the server keeps them", async () => {
    server.blocked = ["u3"];
    const store = newStore(env);
    await store.loadBlocks();
    expect(await store.block("u2")).toBe(true);
    expect(store.getState().blocked).toEqual(["u2", "u3"]);
    expect(server.blocked).toEqual(["u2", "u3"]);
    expect(await store.unblock("u3")).toBe(true);
    expect(store.getState().blocked).toEqual(["u2"]);
    expect(server.asked("PUT /api/users/")).toEqual(["PUT /api/users/u2/block"]);
    expect(server.asked("DELETE /api/users/")).toEqual(["DELETE /api/users/u3/block"]);
  });

  it("says why a block failed, and keeps the list as it was", async () => {
    const store = newStore(env);
    await store.loadBlocks();
    expect(await store.block("nobody")).toBe(false);
    expect(store.getState().notice).toBe("No user has that id.");
    expect(store.getState().blocked).toEqual([]);
  });

  it("forgets the blocked list on log-out", async () => {
    server.blocked = ["u3"];
    const store = newStore(env);
    await store.loadBlocks();
    await store.logOut();
    expect(store.getState().blocked).toBeNull();
  });
});
