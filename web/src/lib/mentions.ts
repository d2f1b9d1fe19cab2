import type { Message } from "./types";

/**
 * `@name` as the server reads it (services/mentions.py): a username's characters after an "@" that
 * follows no word character (Python's `\w`: Unicode letters, digits, "_") and no other "@".
 */
const MENTION = /(?<![\p{L}\p{N}_@])@([A-Za-z0-9_.-]+)/gu;

/** The usernames an `@name` may stand for, lowercased: as written, then without the dots and dashes ending it. */
function candidates(written: string): string[] {
  return [written, written.replace(/[.-]+$/, "")]
    .filter((name) => name.length >= 3 && name.length <= 32)
    .map((name) => name.toLowerCase());
}

export interface TextPiece {
  text: string;
  /** A mention of a member the message names, or a word a search matched. */
  marked: boolean;
}

/** Whether the message names `userId` (only group messages name anyone). */
export function mentions(message: Pick<Message, "mentions">, userId: string): boolean {
  return !!userId && (message.mentions ?? []).includes(userId);
}

/**
 * The text in pieces, each `@username` of `usernames` (lower case) marked ("thanks @bob." marks "@bob");
 * one piece when none is.
 */
export function mentionPieces(text: string, usernames: ReadonlySet<string>): TextPiece[] {
  const pieces: TextPiece[] = [];
  let from = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = candidates(match[1] ?? "").find((candidate) => usernames.has(candidate));
    if (!name) continue;
    const at = match.index;
    if (at > from) pieces.push({ text: text.slice(from, at), marked: false });
    pieces.push({ text: text.slice(at, at + 1 + name.length), marked: true });
    from = at + 1 + name.length;
  }
  if (from < text.length || pieces.length === 0) pieces.push({ text: text.slice(from), marked: false });
  return pieces;
}

/** The `@…` being typed just before `caret`, if any: where it starts and what follows the "@" so far. */
export function mentionAt(text: string, caret: number): { start: number; prefix: string } | null {
  const before = text.slice(0, caret);
  const match = /(?<![\p{L}\p{N}_@])@([A-Za-z0-9_.-]{0,32})$/u.exec(before);
  return match ? { start: match.index, prefix: (match[1] ?? "").toLowerCase() } : null;
}
