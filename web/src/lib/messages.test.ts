import { describe, expect, it } from "vitest";
import { groupMessages, lastSeq, mergeMessages, visibleMessages } from "./messages";
import type { Message, PendingMessage } from "./types";

function message(
  seq: number,
  senderId = "me",
  createdAt = "2026-11-24T12:00:00.000Z",
  clientMsgId = `c${seq}`,
): Message {
  return { id: `m${seq}`, conversationId: "c", senderId, text: `t${seq}`, clientMsgId, seq, createdAt };
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
