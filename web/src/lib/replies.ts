import type { Message, ReplyTo } from "./types";

/** A quote's excerpt is cut to this many characters, "…" included (the server's REPLY_EXCERPT_LENGTH). */
export const REPLY_EXCERPT_LENGTH = 100;
/** What a quote of a deleted message says instead of its text. */
export const DELETED_EXCERPT = "Original message deleted";

/**
 * A message's text as a quote shows it, by the server's rule (services/replies.py): whitespace
 * collapsed, and over REPLY_EXCERPT_LENGTH characters cut to one fewer, trailing spaces dropped, and "…".
 */
export function excerptOf(text: string): string {
  const collapsed = text.split(/\s+/).filter(Boolean).join(" ");
  const characters = [...collapsed];
  if (characters.length <= REPLY_EXCERPT_LENGTH) return collapsed;
  return `${characters
    .slice(0, REPLY_EXCERPT_LENGTH - 1)
    .join("")
    .trimEnd()}…`;
}

/** The quote a reply to `message` carries. */
export function quoteOf(message: Message): ReplyTo {
  const deleted = !!message.deletedAt;
  return {
    messageId: message.id,
    seq: message.seq,
    senderId: message.senderId,
    excerpt: deleted ? DELETED_EXCERPT : excerptOf(message.text),
    deleted,
    attachments: deleted ? 0 : message.attachments.length,
  };
}

/** `quote` as its original now is; the same quote when nothing it shows changed. */
function following(quote: ReplyTo, original: Message): ReplyTo {
  const now = quoteOf(original);
  const same =
    now.excerpt === quote.excerpt && now.deleted === quote.deleted && now.attachments === quote.attachments;
  return same
    ? quote
    : { ...quote, excerpt: now.excerpt, deleted: now.deleted, attachments: now.attachments };
}

/**
 * The loaded messages with the quotes of replies to any of `originals` following them (an edit, a
 * deletion): the server rewrites its stored replies the same way. The same list when no quote changes,
 * and every untouched message as it was.
 */
export function withQuotesFollowing(held: readonly Message[], originals: readonly Message[]): Message[] {
  if (originals.length === 0) return held as Message[];
  const byId = new Map(originals.map((m) => [m.id, m]));
  // Copied only once a quote changes: a page of history or a push usually changes none.
  let result: Message[] | null = null;
  held.forEach((message, index) => {
    const original = message.replyTo && byId.get(message.replyTo.messageId);
    if (!original || !message.replyTo) return;
    const quote = following(message.replyTo, original);
    if (quote === message.replyTo) return;
    result ??= [...held];
    result[index] = { ...message, replyTo: quote };
  });
  return result ?? (held as Message[]);
}
