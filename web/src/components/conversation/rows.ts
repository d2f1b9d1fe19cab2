import type { MessageGroup } from "../../lib/messages";

export type MessageItem = MessageGroup["items"][number];

/** What shows above a message when it starts something: a gap, the day, the sender. */
export interface RowHeading {
  /** The day, on the first message of a day. */
  day: string | null;
  /** Who wrote it, on the first of a run of someone else's messages in a group. */
  senderId: string | null;
  /** The first of a run by one sender: a gap above it. */
  startsRun: boolean;
}

/**
 * One message as the list draws it. A message's heading is drawn at the bottom of the row before
 * it (`next`), so a row's height never depends on the row above it: a page of older messages
 * arriving above leaves every row below exactly as tall as it was. Only the first row draws its own.
 */
export interface MessageRowData extends RowHeading {
  /** Stable through the ack: a pending send keeps its row when it becomes the stored message. */
  key: string;
  item: MessageItem;
  mine: boolean;
  /** The first row loaded: it draws its own heading above it. */
  first: boolean;
  /** The heading of the message after this one, drawn below it; null when that one starts nothing. */
  next: RowHeading | null;
}

/**
 * Flattens sender runs into one row per message, for a list that draws only the rows in view.
 * While older history is not loaded (`olderUnknown`), the first row does not know whether it starts
 * a day or a run, so it shows neither.
 */
export function messageRows(
  groups: readonly MessageGroup[],
  isGroup: boolean,
  olderUnknown = false,
): MessageRowData[] {
  const rows: MessageRowData[] = [];
  let day: string | null = null;
  for (const group of groups) {
    group.items.forEach((item, index) => {
      const first = index === 0 && !(olderUnknown && rows.length === 0);
      rows.push({
        key: item.clientMsgId ? `${group.senderId}/${item.clientMsgId}` : item.id,
        item,
        mine: group.mine,
        day: first && group.day !== day ? group.day : null,
        senderId: first && isGroup && !group.mine ? group.senderId : null,
        startsRun: first,
        first: rows.length === 0,
        next: null,
      });
    });
    day = group.day;
  }
  rows.forEach((row, index) => {
    const after = rows[index + 1];
    if (after && (after.day || after.senderId || after.startsRun)) {
      row.next = { day: after.day, senderId: after.senderId, startsRun: after.startsRun };
    }
  });
  return rows;
}

/** Equal rows draw the same: rebuilt rows for unchanged messages compare equal, so they skip rendering. */
export function sameRow(a: MessageRowData, b: MessageRowData): boolean {
  return (
    a.key === b.key &&
    a.mine === b.mine &&
    a.day === b.day &&
    a.senderId === b.senderId &&
    a.startsRun === b.startsRun &&
    a.first === b.first &&
    sameHeading(a.next, b.next) &&
    sameItem(a.item, b.item)
  );
}

function sameHeading(a: RowHeading | null, b: RowHeading | null): boolean {
  if (a === null || b === null) return a === b;
  return a.day === b.day && a.senderId === b.senderId && a.startsRun === b.startsRun;
}

function sameItem(a: MessageItem, b: MessageItem): boolean {
  return (
    a.id === b.id &&
    a.message === b.message &&
    a.status === b.status &&
    a.text === b.text &&
    a.createdAt === b.createdAt &&
    a.clientMsgId === b.clientMsgId &&
    a.replyTo === b.replyTo &&
    (a.attachments === b.attachments || (a.attachments.length === 0 && b.attachments.length === 0))
  );
}
