import type { Attachment, Message, PendingMessage } from "./types";

/** Adds messages to a conversation's list: each id once, in seq order (the order everyone sees). */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const byId = new Map(existing.map((m) => [m.id, m]));
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
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
): Array<{ message: Message; status: "sent" } | { message: PendingMessage; status: "sending" | "failed" }> {
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
    status: "sent" | "sending" | "failed";
    clientMsgId: string;
    attachments: Attachment[];
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
    };
    if (last && last.senderId === senderId && last.day === day) last.items.push(item);
    else groups.push({ senderId, day, mine: senderId === myId, items: [item] });
  }
  return groups;
}

export function newClientMsgId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
