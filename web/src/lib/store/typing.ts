import type { SocketPort } from "../socket";
import type { ChatEnvironment, Timer } from "./environment";
import type { ChatState, ChatStateCell } from "./state";

/** Say "typing" at most this often while typing (the server forwards no more often). */
export const TYPING_REPEAT_MS = 2_000;
/** Show someone as typing for this long after their last "typing" unless they stop sooner. */
export const TYPING_SHOWN_MS = 6_000;

type Typing = ChatState["typing"];

/** Shows `userId` typing in a conversation until `until` (epoch ms), or no longer when null. */
export function withTyping(
  typing: Typing,
  conversationId: string,
  userId: string,
  until: number | null,
): Typing {
  const here = typing[conversationId] ?? {};
  if (until === null && !(userId in here)) return typing;
  const next = { ...here };
  if (until === null) delete next[userId];
  else next[userId] = until;
  return { ...typing, [conversationId]: next };
}

/** Drops the indicators whose time is up; a conversation with none ended keeps its own map. */
export function withoutEnded(typing: Typing, now: number): Typing {
  let changed = false;
  const next: Typing = {};
  for (const [conversationId, users] of Object.entries(typing)) {
    const left = Object.entries(users).filter(([, end]) => end > now);
    const kept = left.length === Object.keys(users).length ? users : Object.fromEntries(left);
    if (kept !== users) changed = true;
    next[conversationId] = kept;
  }
  return changed ? next : typing;
}

/** Who is typing where, shown for a while; and telling the others while this user types. */
export class TypingIndicators {
  /** When this client last said it was typing, per conversation. */
  private readonly sentAt = new Map<string, number>();
  private expiryTimer: Timer | null = null;
  /** No typing frames before this (epoch ms): the server refused some as too many. */
  private pausedUntil = 0;

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    private readonly socket: SocketPort,
  ) {}

  /** The composer's text changed: tells the others while it has text (every 2 s at most), and once when it empties. */
  typed(conversationId: string, text: string): void {
    const typing = text.trim() !== "";
    const sentAt = this.sentAt.get(conversationId);
    const now = this.env.now();
    if (now < this.pausedUntil) return; // the server said too many: typing is only a hint
    if (typing && (sentAt === undefined || now - sentAt >= TYPING_REPEAT_MS)) {
      if (this.socket.send({ action: "typing", conversationId, isTyping: true })) {
        this.sentAt.set(conversationId, now);
      }
    } else if (!typing && sentAt !== undefined) {
      this.sentAt.delete(conversationId);
      this.socket.send({ action: "typing", conversationId, isTyping: false });
    }
  }

  /** The server refused typing frames as too many: nothing is said until the wait is over. */
  pause(waitMs: number): void {
    this.pausedUntil = this.env.now() + waitMs;
  }

  /** Someone started or stopped typing. */
  show(conversationId: string, userId: string, isTyping: boolean): void {
    const until = isTyping ? this.env.now() + TYPING_SHOWN_MS : null;
    this.cell.update({ typing: withTyping(this.cell.state.typing, conversationId, userId, until) });
    this.scheduleExpiry();
  }

  /** A message from someone ends their "typing". */
  stopShowing(conversationId: string, userId: string): void {
    if (this.cell.state.typing[conversationId]?.[userId]) this.show(conversationId, userId, false);
  }

  /** Drops indicators whose time is up, then waits for the next one to end. */
  private scheduleExpiry(): void {
    this.env.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const ends = Object.values(this.cell.state.typing).flatMap((users) => Object.values(users));
    if (ends.length === 0) return;
    this.expiryTimer = this.env.setTimeout(
      () => {
        this.expiryTimer = null;
        this.cell.update({ typing: withoutEnded(this.cell.state.typing, this.env.now()) });
        this.scheduleExpiry();
      },
      Math.max(0, Math.min(...ends) - this.env.now()) + 10,
    );
  }
}
