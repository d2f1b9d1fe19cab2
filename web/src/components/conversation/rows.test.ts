import { describe, expect, it } from "vitest";
import { groupMessages, visibleMessages } from "../../lib/messages";
import type { Message, PendingMessage } from "../../lib/types";
import { messageRows, sameRow } from "./rows";

function message(seq: number, senderId: string, day: string): Message {
  return {
    id: `m${seq}`,
    conversationId: "c",
    senderId,
    text: `t${seq}`,
    clientMsgId: `c${seq}`,
    seq,
    createdAt: `2026-11-${day}T12:00:00.000Z`,
    attachments: [],
    editedAt: null,
    deletedAt: null,
    reactions: {},
    revision: 0,
    replyTo: null,
    mentions: [],
  };
}

function rowsOf(stored: Message[], pending: PendingMessage[] = [], isGroup = true, olderUnknown = false) {
  return messageRows(
    groupMessages(visibleMessages(stored, pending, "me"), "me", (iso) => iso.slice(0, 10)),
    isGroup,
    olderUnknown,
  );
}

describe("messageRows", () => {
  it("shows the day on the first message of each day and the sender on the first of each run", () => {
    const rows = rowsOf([
      message(1, "ann", "24"),
      message(2, "ann", "24"),
      message(3, "me", "24"),
      message(4, "ann", "25"),
    ]);
    expect(rows.map((r) => [r.item.id, r.day, r.senderId, r.startsRun])).toEqual([
      ["m1", "2026-11-24", "ann", true],
      ["m2", null, null, false],
      ["m3", null, null, true],
      ["m4", "2026-11-25", "ann", true],
    ]);
  });

  it("names no sender in a direct chat", () => {
    expect(rowsOf([message(1, "ann", "24")], [], false)[0]?.senderId).toBeNull();
  });

  it("keeps a send's row key when its ack turns it into the stored message", () => {
    const sending: PendingMessage = {
      clientMsgId: "c9",
      conversationId: "c",
      text: "t9",
      createdAt: "2026-11-24T12:00:00.000Z",
      status: "sending",
      attachments: [],
    };
    const [before] = rowsOf([], [sending]);
    const [after] = rowsOf([message(9, "me", "24")], [sending]);
    expect(after?.key).toBe(before?.key);
  });

  it("finds rebuilt rows of unchanged messages equal, and a changed message's row not", () => {
    const first = message(1, "ann", "24");
    const second = message(2, "ann", "24");
    const [a1, a2] = rowsOf([first, second]);
    const [b1, b2] = rowsOf([first, { ...second, text: "edited", revision: 1 }]);
    expect(a1 && b1 && sameRow(a1, b1)).toBe(true);
    expect(a2 && b2 && sameRow(a2, b2)).toBe(false);
  });

  it("keeps the first row's height when the page above it arrives: no label while older history is unknown", () => {
    const page = [message(51, "ann", "24"), message(52, "ann", "24")];
    const [beforeFirst] = rowsOf(page, [], true, true);
    expect([beforeFirst?.day, beforeFirst?.senderId, beforeFirst?.startsRun]).toEqual([null, null, false]);
    // the older page: the same day and sender, so #51 still shows neither, as before it came
    const rows = rowsOf([message(50, "ann", "24"), ...page], [], true, true);
    expect(rows.map((r) => [r.item.id, r.day, r.startsRun])).toEqual([
      ["m50", null, false],
      ["m51", null, false],
      ["m52", null, false],
    ]);
    // the whole history loaded: the first row shows its day and sender again
    expect(rowsOf([message(50, "ann", "24"), ...page])[0]?.day).toBe("2026-11-24");
  });

  it("draws each heading below the message before it, so a row's height never depends on the row above", () => {
    const rows = rowsOf([message(1, "ann", "24"), message(2, "ann", "24"), message(3, "bob", "25")]);
    expect(rows.map((r) => [r.item.id, r.first, r.next])).toEqual([
      ["m1", true, null],
      ["m2", false, { day: "2026-11-25", senderId: "bob", startsRun: true }],
      ["m3", false, null],
    ]);
    // a page arriving above changes the rows above m1's old place, and m1's next row not at all
    const withOlder = rowsOf([message(0, "zoe", "24"), message(1, "ann", "24"), message(2, "ann", "24")]);
    expect(withOlder[1]?.next).toBeNull();
    expect(withOlder[0]?.next).toEqual({ day: null, senderId: "ann", startsRun: true });
  });
});
