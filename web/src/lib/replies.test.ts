import { describe, expect, it } from "vitest";
import { CREATED, message } from "../test/fakes";
import { DELETED_EXCERPT, excerptOf, quoteOf, REPLY_EXCERPT_LENGTH, withQuotesFollowing } from "./replies";

describe("quotes", () => {
  it("collapse whitespace and cut long text to the excerpt length, with an ellipsis", () => {
    expect(excerptOf("  lunch\n\n at   1? ")).toBe("lunch at 1?");
    // 100 characters at most, "…" included, no space before it
    const long = "é".repeat(REPLY_EXCERPT_LENGTH + 5);
    expect(excerptOf(long)).toBe(`${"é".repeat(REPLY_EXCERPT_LENGTH - 1)}…`);
    expect(excerptOf(`${"a".repeat(98)} bcd`)).toBe(`${"a".repeat(98)}…`);
    // Characters, not UTF-16 units
    expect(excerptOf("🙂".repeat(REPLY_EXCERPT_LENGTH))).toBe("🙂".repeat(REPLY_EXCERPT_LENGTH));
  });

  it("of a deleted message say so", () => {
    const tombstone = { ...message(3), text: "", deletedAt: CREATED };
    expect(quoteOf(tombstone)).toEqual({
      messageId: "m3",
      seq: 3,
      senderId: "u2",
      excerpt: DELETED_EXCERPT,
      deleted: true,
      attachments: 0,
    });
  });

  it("of loaded replies follow their original, leaving every other message as it was", () => {
    const original = message(1);
    const reply = { ...message(2), replyTo: quoteOf(original) };
    const other = message(3);
    const held = [original, reply, other];
    expect(withQuotesFollowing(held, [original])).toBe(held); // nothing changed
    const edited = { ...original, text: "new  text", revision: 1 };
    const after = withQuotesFollowing(held, [edited]);
    expect(after[1]?.replyTo).toEqual({
      messageId: "m1",
      seq: 1,
      senderId: "u2",
      excerpt: "new text",
      deleted: false,
      attachments: 0,
    });
    expect(after[0]).toBe(original);
    expect(after[2]).toBe(other);
  });
});
