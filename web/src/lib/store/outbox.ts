import { type ApiClient, ApiError } from "../api";
import { newClientMsgId } from "../messages";
import { quoteOf } from "../replies";
import type { SocketPort } from "../socket";
import type { Message, PendingMessage, ServerFrame } from "../types";
import type { ChatEnvironment, Timer } from "./environment";
import type { History } from "./history";
import { type ChatState, type ChatStateCell, withEntry, withoutEntry } from "./state";
import type { Uploads } from "./uploads";

/** How long a send waits for its ack before it is shown as failed (it can then be retried). */
export const ACK_TIMEOUT_MS = 10_000;

type Pending = ChatState["pending"];

export function withPendingAdded(pending: Pending, message: PendingMessage): Pending {
  return { ...pending, [message.conversationId]: [...(pending[message.conversationId] ?? []), message] };
}

/** One pending message's status changed; the same record when it is not pending (or already so). */
export function withPendingStatus(
  pending: Pending,
  conversationId: string,
  clientMsgId: string,
  status: PendingMessage["status"],
): Pending {
  const list = pending[conversationId] ?? [];
  if (!list.some((p) => p.clientMsgId === clientMsgId && p.status !== status)) return pending;
  return withEntry(
    pending,
    conversationId,
    list.map((p) => (p.clientMsgId === clientMsgId ? { ...p, status } : p)),
  );
}

/** A pending message settled (its message arrived); the same record when it was not pending. */
export function withoutPending(pending: Pending, conversationId: string, clientMsgId: string): Pending {
  const list = pending[conversationId] ?? [];
  if (!list.some((p) => p.clientMsgId === clientMsgId)) return pending;
  return withEntry(
    pending,
    conversationId,
    list.filter((p) => p.clientMsgId !== clientMsgId),
  );
}

/**
 * Messages this user sends until the server has them: each waits ACK_TIMEOUT_MS for its ack (then it
 * can be retried, with the same clientMsgId, so it never arrives twice); when the server says "too
 * fast", sends are held and go again one at a time, in the order written.
 */
export class Outbox {
  private readonly ackTimers = new Map<string, Timer>();
  private slowDownTimer: Timer | null = null;
  /** The held message released and not yet settled: the next waits for it. */
  private released: string | null = null;

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    private readonly api: ApiClient,
    private readonly socket: SocketPort,
    private readonly uploads: Uploads,
    private readonly history: History,
  ) {}

  /** The next message sent in the conversation quotes `message`. */
  replyTo(message: Message): void {
    const replyingTo = this.cell.state.replyingTo;
    this.cell.update({ replyingTo: withEntry(replyingTo, message.conversationId, quoteOf(message)) });
  }

  cancelReply(conversationId: string): void {
    this.cell.update({ replyingTo: withoutEntry(this.cell.state.replyingTo, conversationId) });
  }

  /**
   * Sends the draft with every finished upload, quoting the message replied to if any; false when there
   * is nothing to send yet.
   */
  send(conversationId: string, text: string): boolean {
    const ready = this.uploads.ready(conversationId);
    if (!ready || (!text.trim() && ready.length === 0)) return false;
    const { pending: held, replyingTo } = this.cell.state;
    const pending: PendingMessage = {
      clientMsgId: newClientMsgId(),
      conversationId,
      text,
      createdAt: new Date(this.env.now()).toISOString(),
      status: "sending",
      attachments: this.uploads.handOver(conversationId, ready),
      replyTo: replyingTo[conversationId] ?? null,
    };
    this.cell.update({
      pending: withPendingAdded(held, pending),
      replyingTo: withoutEntry(replyingTo, conversationId),
    });
    this.transmit(pending);
    return true;
  }

  /** Sends a message again with the same clientMsgId; a held one goes by itself, in its turn. */
  retry(conversationId: string, clientMsgId: string): void {
    const pending = this.cell.state.pending[conversationId]?.find((p) => p.clientMsgId === clientMsgId);
    if (!pending || pending.status === "waiting") return;
    // Trying again answers the notice its refusal raised: a new refusal raises it again.
    this.cell.update({ notice: null });
    this.mark(pending, "sending");
    this.transmit(pending);
  }

  private transmit(pending: PendingMessage): void {
    // Asked to slow down, or others are held: this one queues behind them.
    if ((this.cell.state.slowDownUntil ?? 0) > this.env.now() || this.waiting().length > 0) {
      this.hold(pending);
      return;
    }
    this.sendNow(pending);
  }

  private sendNow(pending: PendingMessage): void {
    // An earlier attempt's timer must not fail this one.
    this.clearAckTimer(pending.clientMsgId);
    const mediaIds = pending.attachments.map((a) => a.mediaId);
    const replyTo = pending.replyTo?.messageId;
    const frame = {
      action: "sendMessage",
      conversationId: pending.conversationId,
      text: pending.text,
      clientMsgId: pending.clientMsgId,
      attachments: mediaIds.map((mediaId) => ({ mediaId })),
      ...(replyTo ? { replyTo } : {}),
    };
    if (this.socket.send(frame)) {
      const timer = this.env.setTimeout(() => {
        this.ackTimers.delete(pending.clientMsgId);
        this.mark(pending, "failed");
        this.releaseNext(pending.clientMsgId); // those held behind it are not stuck
      }, ACK_TIMEOUT_MS);
      this.ackTimers.set(pending.clientMsgId, timer);
      return;
    }
    // No socket right now: the HTTP API stores it just the same (and is idempotent on clientMsgId).
    const same = this.cell.sameAccount();
    this.api
      .sendMessage(pending.conversationId, pending.text, pending.clientMsgId, mediaIds, replyTo)
      .then((message) => {
        if (same()) this.acknowledge(message);
      })
      .catch((error: unknown) => {
        if (!same()) return;
        if (error instanceof ApiError && error.status === 429) {
          this.slowDown(error.retryAfter);
          this.hold(pending);
        } else {
          this.mark(pending, "failed");
          this.releaseNext(pending.clientMsgId);
        }
      });
  }

  /** The server has the message: it leaves the outbox, its previews with it, and the next held one goes. */
  acknowledge(message: Message): void {
    this.clearAckTimer(message.clientMsgId);
    const sent = this.cell.state.pending[message.conversationId]?.find(
      (p) => p.clientMsgId === message.clientMsgId,
    );
    this.cell.update({
      pending: withoutPending(this.cell.state.pending, message.conversationId, message.clientMsgId),
    });
    this.history.store(message.conversationId, [message]);
    if (sent) this.uploads.release(sent.attachments.map((a) => a.url));
    this.releaseNext(message.clientMsgId);
  }

  /** An error frame about one of this user's sends; false when it is about none of them. */
  refused(frame: Extract<ServerFrame, { type: "error" }>): boolean {
    const refused = frame.clientMsgId
      ? Object.values(this.cell.state.pending)
          .flat()
          .find((p) => p.clientMsgId === frame.clientMsgId)
      : undefined;
    if (!refused) return false;
    if (frame.code === "rate_limited") {
      // Only a refused send slows sending down; it goes again, in order, after the wait.
      this.slowDown(frame.retryAfter);
      this.hold(refused);
    } else {
      this.clearAckTimer(refused.clientMsgId);
      this.mark(refused, "failed");
      this.cell.update({ notice: frame.message }); // why, e.g. "The file … is not a PNG image."
      this.releaseNext(refused.clientMsgId); // those held behind it go on
    }
    return true;
  }

  /** The server said "too fast": hold sends for `seconds`, and say so until then. */
  private slowDown(seconds: number | undefined): void {
    const until = this.env.now() + Math.max(1, seconds ?? 5) * 1000;
    if ((this.cell.state.slowDownUntil ?? 0) >= until) return;
    this.env.clearTimeout(this.slowDownTimer);
    this.slowDownTimer = this.env.setTimeout(() => {
      this.slowDownTimer = null;
      this.cell.update({ slowDownUntil: null });
      this.releaseNext();
    }, until - this.env.now());
    this.cell.update({ slowDownUntil: until });
  }

  /** A send held back (refused as too fast, or behind one that was): it goes by itself, in order. */
  private hold(pending: PendingMessage): void {
    if (pending.clientMsgId === this.released) this.released = null; // refused again: it waits in line
    this.clearAckTimer(pending.clientMsgId);
    this.mark(pending, "waiting");
  }

  private waiting(): PendingMessage[] {
    return Object.values(this.cell.state.pending)
      .flat()
      .filter((p) => p.status === "waiting")
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * Sends the oldest held message, one at a time: when it settles (acked, failed), the next goes, so
   * they arrive in the order written.
   */
  private releaseNext(settled?: string): void {
    if (settled !== undefined && settled === this.released) this.released = null;
    if (this.released !== null) return; // one released at a time
    if ((this.cell.state.slowDownUntil ?? 0) > this.env.now()) return;
    const [oldest] = this.waiting();
    if (!oldest) return;
    this.released = oldest.clientMsgId;
    this.mark(oldest, "sending");
    this.sendNow(oldest);
  }

  private mark(pending: PendingMessage, status: PendingMessage["status"]): void {
    this.cell.update({
      pending: withPendingStatus(
        this.cell.state.pending,
        pending.conversationId,
        pending.clientMsgId,
        status,
      ),
    });
  }

  private clearAckTimer(clientMsgId: string): void {
    this.env.clearTimeout(this.ackTimers.get(clientMsgId));
    this.ackTimers.delete(clientMsgId);
  }

  /**
   * Forgets what belonged to the previous account: its timers stop here, and its sends over HTTP still in
   * flight find the account changed when they settle, and drop their answers.
   */
  forget(): void {
    for (const timer of this.ackTimers.values()) this.env.clearTimeout(timer);
    this.ackTimers.clear();
    this.env.clearTimeout(this.slowDownTimer);
    this.slowDownTimer = null;
    this.released = null;
  }
}
