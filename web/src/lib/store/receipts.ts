import type { ApiClient } from "../api";
import { lastSeq, newestFromOthers } from "../messages";
import type { PushNotifications } from "../push";
import type { SocketPort } from "../socket";
import type { Conversation, Receipt, ServerFrame } from "../types";
import { type ConversationList, higher, isMember, mergeReceipts } from "./conversations";
import type { ChatEnvironment, Timer } from "./environment";
import type { ChatStateCell } from "./state";

/** Messages arriving this close together share one markDelivered per conversation. */
export const DELIVERY_DELAY_MS = 300;

/**
 * Delivered and read marks: this device's own (sent over the socket, else over HTTP, never lower than
 * sent before), everyone's in a group, and the unread counts they settle.
 */
export class Receipts {
  /** The highest marks this device has sent, per conversation: never send one lower. */
  private readonly sent = new Map<string, Receipt>();
  /** markDelivered waiting to go out: conversation id → highest seq. */
  private readonly deliveries = new Map<string, number>();
  private deliveryTimer: Timer | null = null;
  /** Marks refused as too many go again when this ends. */
  private resumeTimer: Timer | null = null;
  /** The conversation on screen, and whether its newest message is in view. */
  private viewing: { conversationId: string; atBottom: boolean } | null = null;
  /** A group's receipts request in flight: callers close together share it. */
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    private readonly api: ApiClient,
    private readonly socket: SocketPort,
    private readonly list: ConversationList,
    private readonly notifications: Pick<PushNotifications, "dismiss">,
  ) {}

  /** The conversation on screen, if any. */
  get shown(): string | undefined {
    return this.viewing?.conversationId;
  }

  view(conversationId: string | null, atBottom: boolean): void {
    this.viewing = conversationId ? { conversationId, atBottom } : null;
    if (conversationId && this.env.hasAttention()) this.notifications.dismiss(conversationId);
    this.noteReading();
  }

  /** True while the reader can see the newest message of a conversation. */
  isReading(conversationId: string): boolean {
    return (
      this.viewing?.conversationId === conversationId && this.viewing.atBottom && this.env.hasAttention()
    );
  }

  /** Marks the conversation on screen read up to its newest message from others, if the reader sees it. */
  noteReading(): void {
    const conversationId = this.viewing?.conversationId;
    if (!conversationId || !this.isReading(conversationId)) return;
    const messages = this.cell.state.messages[conversationId];
    const conversation = this.list.find(conversationId);
    const me = this.cell.me;
    if (!messages || !conversation || !isMember(conversation, me)) return;
    const seq = newestFromOthers(messages, me);
    if (seq > this.own(conversationId).readSeq) {
      this.send(conversationId, "readSeq", seq);
      this.notifications.dismiss(conversationId); // read here: its notification has nothing left to say
    }
    // Holding the newest message means nothing from others is left unread.
    if (
      lastSeq(messages) >= conversation.lastSeq &&
      (conversation.unreadCount || conversation.mentionCount)
    ) {
      this.list.patch(conversationId, { unreadCount: 0, mentionCount: 0 });
    }
  }

  /** A conversation's newest message reached this device with the list: say it was delivered. */
  noteArrived(conversation: Conversation): void {
    const last = conversation.lastMessage;
    if (last && last.senderId !== this.cell.me) this.noteDelivered(conversation.id, last.seq);
  }

  /** Queues a markDelivered: what arrives within DELIVERY_DELAY_MS shares one per conversation. */
  noteDelivered(conversationId: string, seq: number): void {
    if (seq <= this.own(conversationId).deliveredSeq) return;
    if (seq <= (this.deliveries.get(conversationId) ?? 0)) return;
    this.deliveries.set(conversationId, seq);
    this.deliveryTimer ??= this.env.setTimeout(() => this.sendDeliveries(), DELIVERY_DELAY_MS);
  }

  private sendDeliveries(): void {
    this.deliveryTimer = null;
    const due = [...this.deliveries];
    this.deliveries.clear();
    for (const [conversationId, seq] of due) {
      const conversation = this.list.find(conversationId);
      if (!conversation || !isMember(conversation, this.cell.me)) continue;
      if (seq > this.own(conversationId).deliveredSeq) this.send(conversationId, "deliveredSeq", seq);
    }
  }

  /** How far this user has got in a conversation: what this device sent, or another device's receipt. */
  own(conversationId: string): Receipt {
    const known = higher(
      this.sent.get(conversationId),
      this.list.find(conversationId)?.receipts[this.cell.me],
    );
    return { readSeq: known.readSeq, deliveredSeq: Math.max(known.deliveredSeq, known.readSeq) };
  }

  /** Moves this device's delivered or read mark forward: over the socket, else over HTTP. */
  private send(conversationId: string, mark: keyof Receipt, seq: number): void {
    const before = this.sent.get(conversationId);
    const after = higher(
      before,
      mark === "readSeq" ? { deliveredSeq: seq, readSeq: seq } : { deliveredSeq: seq, readSeq: 0 },
    );
    this.sent.set(conversationId, after);
    const action = mark === "readSeq" ? "markRead" : "markDelivered";
    if (this.socket.send({ action, conversationId, seq })) return;
    this.api.markReceipts(conversationId, { [mark]: seq }).catch(() => {
      // Forget it, so the next arrival, focus or reconnect sends it again.
      if (this.sent.get(conversationId) !== after) return;
      if (before) this.sent.set(conversationId, before);
      else this.sent.delete(conversationId);
    });
  }

  /** The server refused marks as too many: they are forgotten as sent and go again after the wait. */
  refusedAsTooMany(waitMs: number): void {
    this.sent.clear();
    this.env.clearTimeout(this.resumeTimer);
    this.resumeTimer = this.env.setTimeout(() => {
      this.resumeTimer = null;
      this.noteReading();
    }, waitMs);
  }

  /**
   * A group's receipts, every member's, merged over those held (never moving a mark back). A group's
   * copies carry only this user's receipt, so every opening asks who has got how far.
   */
  load(conversationId: string): Promise<void> {
    const conversation = this.list.find(conversationId);
    if (conversation?.type !== "group" || !isMember(conversation, this.cell.me)) return Promise.resolve();
    const shared = this.loading.get(conversationId);
    if (shared) return shared;
    const same = this.cell.sameAccount();
    const loading: Promise<void> = this.api
      .receipts(conversationId)
      .then(({ receipts }) => {
        if (same()) this.take(conversationId, receipts);
      })
      .catch(() => {
        // the ticks keep what is held; the next opening or reconnect asks again
      })
      .finally(() => {
        // Another account's request for this group may have taken the entry since.
        if (this.loading.get(conversationId) === loading) this.loading.delete(conversationId);
      });
    this.loading.set(conversationId, loading);
    return loading;
  }

  private take(conversationId: string, receipts: Conversation["receipts"]): void {
    const held = this.list.find(conversationId);
    if (held) this.list.patch(conversationId, { receipts: mergeReceipts(held.receipts, receipts) });
  }

  /** Someone's receipt moved; this user's own one (read on another device) also settles the unread count. */
  noteReceipt(frame: Extract<ServerFrame, { type: "receipt" }>): void {
    const conversation = this.list.find(frame.conversationId);
    if (!conversation) return;
    const before = conversation.receipts[frame.userId];
    const receipt = higher(before, frame);
    this.take(conversation.id, { [frame.userId]: receipt });
    if (frame.userId !== this.cell.me || receipt.readSeq <= (before?.readSeq ?? 0)) return;
    if (receipt.readSeq >= conversation.lastSeq)
      this.list.patch(conversation.id, { unreadCount: 0, mentionCount: 0 });
    else void this.list.refresh(conversation.id); // read part of it: the server counts the rest
  }

  /** Forgets what belonged to the previous account. */
  forget(): void {
    this.sent.clear();
    this.loading.clear();
    this.deliveries.clear();
    this.viewing = null;
    this.env.clearTimeout(this.deliveryTimer);
    this.deliveryTimer = null;
    this.env.clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
  }
}
