import { describe, expect, it } from "vitest";
import {
  groupMessages,
  lastSeq,
  mergeMessages,
  newestFromOthers,
  readBy,
  receiptStatus,
  visibleMessages,
  withinLoaded,
} from "./messages";
import type { Conversation, Message, PendingMessage } from "./types";

function message(
  seq: number,
  senderId = "me",
  createdAt = "2026-11-24T12:00:00.000Z",
  clientMsgId = `c${seq}`,
): Message {
  return {
    id: `m${seq}`,
    conversationId: "c",
    senderId,
    text: `t${seq}`,
    clientMsgId,
    seq,
    createdAt,
    attachments: [],
    editedAt: null,
    deletedAt: null,
    reactions: {},
    revision: 0,
    replyTo: null,
    mentions: [],
  };
}

function pending(clientMsgId: string, status: PendingMessage["status"] = "sending"): PendingMessage {
  return {
    clientMsgId,
    conversationId: "c",
    text: "hello",
    createdAt: "2026-11-24T12:01:00.000Z",
    status,
    attachments: [],
  };
}

describe("mergeMessages", () => {
  it("keeps each message once, ordered by seq, whatever the arrival order", () => {
    const merged = mergeMessages([message(1), message(3)], [message(2), message(3), message(5)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 5]);
    expect(lastSeq(merged)).toBe(5);
    expect(lastSeq([])).toBe(0);
  });

  it("keeps the higher revision of a message, whichever copy arrives last", () => {
    const edited = { ...message(2), text: "edited", revision: 2 };
    const stale = { ...message(2), text: "older edit", revision: 1 };
    expect(mergeMessages([message(1), edited], [stale]).map((m) => m.text)).toEqual(["t1", "edited"]);
    expect(mergeMessages([message(1), stale], [edited]).map((m) => m.text)).toEqual(["t1", "edited"]);
    // An equal revision replaces: a reloaded page brings fresh media links.
    const relinked = { ...edited, attachments: [] };
    expect(mergeMessages([edited], [relinked])[0]).toBe(relinked);
  });

  it("leaves out updates to messages older than the loaded page, so paging back skips nothing", () => {
    const held = [message(40), message(41)];
    expect(withinLoaded(held, [message(3), message(40), message(42)]).map((m) => m.seq)).toEqual([40, 42]);
    expect(withinLoaded([], [message(3)]).map((m) => m.seq)).toEqual([3]);
  });

  it("finds the newest message someone else sent", () => {
    expect(
      newestFromOthers([message(1, "them"), message(2, "me"), message(3, "them"), message(4)], "me"),
    ).toBe(3);
    expect(newestFromOthers([message(1, "me")], "me")).toBe(0);
  });
});

describe("receiptStatus", () => {
  function conversation(memberIds: string[], receipts: Conversation["receipts"]) {
    return { memberIds, receipts };
  }

  it("is sent, then delivered, then read as the other person's marks pass the message", () => {
    const mine = message(5);
    expect(receiptStatus(mine, conversation(["me", "bob"], {}), "me")).toBe("sent");
    expect(
      receiptStatus(mine, conversation(["me", "bob"], { bob: { deliveredSeq: 4, readSeq: 4 } }), "me"),
    ).toBe("sent");
    expect(
      receiptStatus(mine, conversation(["me", "bob"], { bob: { deliveredSeq: 5, readSeq: 0 } }), "me"),
    ).toBe("delivered");
    expect(
      receiptStatus(mine, conversation(["me", "bob"], { bob: { deliveredSeq: 9, readSeq: 5 } }), "me"),
    ).toBe("read");
  });

  it("in a group waits for every other member, and ignores my own marks and former members", () => {
    const mine = message(5);
    const group = conversation(["me", "ann", "bob"], {
      me: { deliveredSeq: 9, readSeq: 9 },
      ann: { deliveredSeq: 9, readSeq: 9 },
      bob: { deliveredSeq: 5, readSeq: 2 },
      gone: { deliveredSeq: 0, readSeq: 0 },
    });
    expect(receiptStatus(mine, group, "me")).toBe("delivered");
    expect(readBy(mine, group, "me")).toEqual(["ann"]);
    const allRead = { ...group, receipts: { ...group.receipts, bob: { deliveredSeq: 5, readSeq: 5 } } };
    expect(receiptStatus(mine, allRead, "me")).toBe("read");
    expect(readBy(mine, allRead, "me")).toEqual(["ann", "bob"]);
  });

  it("counts a read mark as delivered even when the delivered mark lags", () => {
    const group = conversation(["me", "ann"], { ann: { deliveredSeq: 1, readSeq: 5 } });
    expect(receiptStatus(message(5), group, "me")).toBe("read");
    expect(receiptStatus(message(6), group, "me")).toBe("sent");
  });
});

describe("optimistic sends", () => {
  it("shows a pending send until its message arrives, then shows it once as sent", () => {
    const before = visibleMessages([message(1, "them")], [pending("abc")], "me");
    expect(before.map((e) => e.status)).toEqual(["sent", "sending"]);
    const stored = message(2, "me", "2026-11-24T12:01:00.000Z", "abc");
    const after = visibleMessages([message(1, "them"), stored], [pending("abc")], "me");
    expect(after.map((e) => e.status)).toEqual(["sent", "sent"]);
    expect(after).toHaveLength(2);
  });

  it("keeps a failed send visible so it can be retried", () => {
    const entries = visibleMessages([], [pending("x", "failed")], "me");
    expect(entries[0]?.status).toBe("failed");
  });

  it("does not hide a pending send behind someone else's message with the same clientMsgId", () => {
    const entries = visibleMessages([message(1, "them", undefined, "abc")], [pending("abc")], "me");
    expect(entries.map((e) => e.status)).toEqual(["sent", "sending"]);
  });
});

describe("groupMessages", () => {
  it("groups consecutive messages by sender and day, marking mine", () => {
    const entries = visibleMessages(
      [
        message(1, "them", "2026-11-23T10:00:00.000Z"),
        message(2, "them", "2026-11-24T10:00:00.000Z"),
        message(3, "them", "2026-11-24T10:01:00.000Z"),
        message(4, "me", "2026-11-24T10:02:00.000Z"),
      ],
      [pending("p1")],
      "me",
    );
    const groups = groupMessages(entries, "me", (iso) => iso.slice(0, 10));
    expect(groups.map((g) => [g.senderId, g.day, g.items.length, g.mine])).toEqual([
      ["them", "2026-11-23", 1, false],
      ["them", "2026-11-24", 2, false],
      ["me", "2026-11-24", 2, true],
    ]);
    expect(groups[2]?.items.map((i) => i.status)).toEqual(["sent", "sending"]);
  });
});
