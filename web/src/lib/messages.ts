import type { Attachment, Conversation, Message, PendingMessage, ReplyTo } from "./types";

/**
 * Adds messages to a conversation's list: each id once, in seq order (the order everyone sees).
 * Of two copies the higher revision wins; an equal one replaces (a reload brings fresh media links).
 */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const byId = new Map(existing.map((m) => [m.id, m]));
  for (const message of incoming) {
    const held = byId.get(message.id);
    if (!held || message.revision >= held.revision) byId.set(message.id, message);
  }
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** The highest seq among messages someone else sent: what receipts are about. */
export function newestFromOthers(messages: readonly Message[], myId: string): number {
  let seq = 0;
  for (const message of messages) if (message.senderId !== myId) seq = Math.max(seq, message.seq);
  return seq;
}

export type ReceiptStatus = "sent" | "delivered" | "read";

type ReceiptView = Pick<Conversation, "memberIds" | "receipts">;

/** The other current members whose readSeq has reached `message`. */
export function readBy(message: Pick<Message, "seq">, conversation: ReceiptView, myId: string): string[] {
  return conversation.memberIds.filter(
    (id) => id !== myId && (conversation.receipts[id]?.readSeq ?? 0) >= message.seq,
  );
}

/** How far one of my messages has got: delivered (or read) once every other member is at its seq. */
export function receiptStatus(
  message: Pick<Message, "seq">,
  conversation: ReceiptView,
  myId: string,
): ReceiptStatus {
  const others = conversation.memberIds.filter((id) => id !== myId);
  if (others.length === 0) return "sent";
  const at = (id: string) => conversation.receipts[id] ?? { deliveredSeq: 0, readSeq: 0 };
  if (others.every((id) => at(id).readSeq >= message.seq)) return "read";
  // Reading implies delivered, even if a stale copy says otherwise.
  if (others.every((id) => Math.max(at(id).deliveredSeq, at(id).readSeq) >= message.seq)) return "delivered";
  return "sent";
}

/**
 * Leaves out messages older than the oldest one held: "load older" pages back from the oldest held,
 * so a stray older message (an edit pushed or caught up) would make it skip the ones in between.
 */
export function withinLoaded(held: readonly Message[], incoming: readonly Message[]): Message[] {
  const oldest = held[0]?.seq ?? 0;
  return incoming.filter((m) => m.seq >= oldest);
}

/** The highest seq this client holds for a conversation: the cursor to catch up from. */
export function lastSeq(messages: readonly Message[]): number {
  return messages.length ? (messages[messages.length - 1]?.seq ?? 0) : 0;
}

/**
 * What a conversation shows: the stored messages, then this client's sends that
 * are still pending. A pending send whose message has arrived (by the ack, or by
 * catch-up after a reconnect) is shown once, as the stored message.
 */
export function visibleMessages(
  stored: readonly Message[],
  pending: readonly PendingMessage[],
  myId: string,
): Array<
  { message: Message; status: "sent" } | { message: PendingMessage; status: PendingMessage["status"] }
> {
  const arrived = new Set(stored.filter((m) => m.senderId === myId).map((m) => m.clientMsgId));
  return [
    ...stored.map((message) => ({ message, status: "sent" as const })),
    ...pending
      .filter((p) => !arrived.has(p.clientMsgId))
      .map((message) => ({ message, status: message.status })),
  ];
}

export interface MessageGroup {
  senderId: string;
  day: string;
  mine: boolean;
  items: Array<{
    id: string;
    text: string;
    createdAt: string;
    status: "sent" | PendingMessage["status"];
    clientMsgId: string;
    attachments: Attachment[];
    /** The message it quotes. */
    replyTo: ReplyTo | null;
    /** The stored message (its seq, reactions, edits); null while it is still being sent. */
    message: Message | null;
  }>;
}

/** Groups consecutive messages by sender and by day, as chat apps show them. */
export function groupMessages(
  entries: ReturnType<typeof visibleMessages>,
  myId: string,
  dayOf: (iso: string) => string = (iso) => new Date(iso).toDateString(),
): MessageGroup[] {
  const groups: MessageGroup[] = [];
  for (const entry of entries) {
    const senderId = "senderId" in entry.message ? entry.message.senderId : myId;
    const day = dayOf(entry.message.createdAt);
    const last = groups[groups.length - 1];
    const item = {
      id: "id" in entry.message ? entry.message.id : `pending-${entry.message.clientMsgId}`,
      text: entry.message.text,
      createdAt: entry.message.createdAt,
      status: entry.status,
      clientMsgId: entry.message.clientMsgId,
      attachments: entry.message.attachments ?? [],
      replyTo: entry.message.replyTo ?? null,
      message: "id" in entry.message ? entry.message : null,
    };
    if (last && last.senderId === senderId && last.day === day) last.items.push(item);
    else groups.push({ senderId, day, mine: senderId === myId, items: [item] });
  }
  return groups;
}

export function newClientMsgId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
