import type { ApiClient } from "../api";
import type { Conversation, Message, Receipt, ServerFrame } from "../types";
import type { ChatEnvironment, Timer } from "./environment";
import type { ChatStateCell } from "./state";

/** The longest setTimeout the browser keeps (about 24.8 days); a longer mute is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function activity(conversation: Conversation): string {
  return conversation.lastMessage?.createdAt ?? conversation.createdAt;
}

export function sortConversations(conversations: Conversation[]): Conversation[] {
  return [...conversations].sort((a, b) => activity(b).localeCompare(activity(a)));
}

/** The other person in a direct conversation; undefined for a group. */
export function otherMember(
  conversation: { type: string; memberIds: string[] },
  myId: string,
): string | undefined {
  return conversation.type === "direct" ? conversation.memberIds.find((id) => id !== myId) : undefined;
}

/** A removed (or departed) member keeps the conversation, read-only. */
export function isMember(conversation: Pick<Conversation, "memberIds">, userId: string): boolean {
  return conversation.memberIds.includes(userId);
}

/** Archived by this user and no message since: listed under "Archived", not in the main list. */
export function isArchived(conversation: Pick<Conversation, "archived">): boolean {
  return conversation.archived === true;
}

/** The caller muted it and the mute has not ended: no notifications, a muted icon, a quiet count. */
export function isMuted(conversation: Pick<Conversation, "muted" | "mutedUntil">, now = Date.now()): boolean {
  if (conversation.muted !== true) return false;
  return conversation.mutedUntil === null || Date.parse(conversation.mutedUntil) > now;
}

/** Unread messages across the conversations given: the number in the tab title. */
export function unreadTotal(conversations: readonly Conversation[]): number {
  return conversations.reduce((sum, c) => sum + (c.unreadCount ?? 0), 0);
}

export function higher(a: Receipt | undefined, b: Receipt | undefined): Receipt {
  return {
    deliveredSeq: Math.max(a?.deliveredSeq ?? 0, b?.deliveredSeq ?? 0),
    readSeq: Math.max(a?.readSeq ?? 0, b?.readSeq ?? 0),
  };
}

/**
 * Receipts from a copy, a push or the receipts route laid over those held: each user's marks only move
 * forward, and a user the incoming map leaves out keeps what is held (a group's copies carry only the
 * caller's own receipt, a pushed one none).
 */
export function mergeReceipts(
  held: Conversation["receipts"],
  incoming: Conversation["receipts"],
): Conversation["receipts"] {
  const receipts = { ...held };
  for (const [id, receipt] of Object.entries(incoming)) receipts[id] = higher(receipts[id], receipt);
  return receipts;
}

/**
 * Whether a conversation is archived after a server copy: the copy says so (a pushed one, saying null,
 * keeps what is held), unless a message newer than the copy's last one is held: that message came after
 * the archiving and brought it back, as the server's list will show.
 */
export function archivedNow(held: Conversation, incoming: Conversation): boolean {
  if (incoming.archived === null || incoming.archived === undefined) return held.archived ?? false;
  return incoming.archived && (held.lastMessage?.seq ?? 0) <= (incoming.lastMessage?.seq ?? 0);
}

/**
 * A newer server copy of a held conversation. Pushes race the copies fetched over HTTP, so receipts
 * never go back, nor does the preview; a copy older than the newest message held keeps the local count.
 */
export function refreshed(held: Conversation, incoming: Conversation): Conversation {
  const receipts = mergeReceipts(held.receipts, incoming.receipts);
  const mine = held.lastMessage;
  const theirs = incoming.lastMessage;
  const heldNewer =
    !!mine && (mine.seq > (theirs?.seq ?? 0) || (mine.id === theirs?.id && mine.revision > theirs.revision));
  return {
    ...incoming,
    receipts,
    lastSeq: Math.max(held.lastSeq, incoming.lastSeq),
    lastMessage: heldNewer ? mine : theirs,
    unreadCount: incoming.unreadCount === null || heldNewer ? held.unreadCount : incoming.unreadCount,
    // Counted with the unread messages, and kept the same way.
    mentionCount:
      incoming.mentionCount === null || incoming.mentionCount === undefined || heldNewer
        ? (held.mentionCount ?? 0)
        : incoming.mentionCount,
    archived: archivedNow(held, incoming),
    // A pushed copy (null) says nothing about this user's mute: the one held stays.
    muted: incoming.muted ?? held.muted,
    mutedUntil:
      incoming.muted === null || incoming.muted === undefined ? held.mutedUntil : incoming.mutedUntil,
  };
}

/** Server copies laid over the list held: each taken unless older than the one held; the rest stay. */
export function withCopies(held: readonly Conversation[], incoming: readonly Conversation[]): Conversation[] {
  const byId = new Map(held.map((c) => [c.id, c]));
  for (const conversation of incoming) {
    const before = byId.get(conversation.id);
    if (!before)
      byId.set(conversation.id, {
        ...conversation,
        unreadCount: conversation.unreadCount ?? 0,
        mentionCount: conversation.mentionCount ?? 0,
        archived: conversation.archived ?? false,
        muted: conversation.muted ?? false,
        mutedUntil: conversation.mutedUntil ?? null,
      });
    else if (conversation.version >= before.version)
      byId.set(conversation.id, refreshed(before, conversation));
  }
  return sortConversations([...byId.values()]);
}

/** The list with one conversation changed; the same list when it is not held. */
export function withPatch(
  list: readonly Conversation[],
  conversationId: string,
  patch: Partial<Conversation>,
): Conversation[] {
  const held = list.find((c) => c.id === conversationId);
  if (!held) return list as Conversation[];
  return sortConversations([{ ...held, ...patch }, ...list.filter((c) => c.id !== conversationId)]);
}

/** The list with timed mutes that have ended shown as unmuted; the same list when none has. */
export function withMutesEnded(list: readonly Conversation[], now: number): Conversation[] {
  if (!list.some((c) => c.muted === true && !isMuted(c, now))) return list as Conversation[];
  return list.map((c) =>
    c.muted === true && !isMuted(c, now) ? { ...c, muted: false, mutedUntil: null } : c,
  );
}

/** What the conversation list needs from the other parts. */
export interface ListHooks {
  /** Copies were taken: their versions may start or move catch-up cursors. */
  noteCopies(incoming: readonly Conversation[], moveCursors: boolean): void;
  /** A listed conversation's newest message reached this device. */
  noteArrived(conversation: Conversation): void;
}

/** The conversation list (main and archived), archiving, muting, groups and the people in them. */
export class ConversationList {
  /** Ends the earliest timed mute held, so it shows as unmuted when its time is up. */
  private muteTimer: Timer | null = null;
  /**
   * Seqs of messages from others pushed before their conversation was listed, by conversation, each
   * with whether it mentions this user.
   */
  private readonly unlisted = new Map<string, Map<number, boolean>>();

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    private readonly api: ApiClient,
    private readonly hooks: ListHooks,
  ) {}

  find(conversationId: string): Conversation | undefined {
    return this.cell.state.conversations.find((c) => c.id === conversationId);
  }

  patch(conversationId: string, patch: Partial<Conversation>): void {
    this.cell.update({ conversations: withPatch(this.cell.state.conversations, conversationId, patch) });
  }

  /**
   * Takes server copies of conversations, each unless older than the one held; conversations held but
   * not given (past the first page, or left) stay. `moveCursors` is true for a list load or GET.
   */
  take(incoming: readonly Conversation[], moveCursors = false): void {
    this.hooks.noteCopies(incoming, moveCursors);
    let conversations = withCopies(this.cell.state.conversations, incoming);
    // Messages pushed before their conversation was listed: the copy that lists it counts those up to
    // its lastSeq, and the ones after are counted here. A later copy that counts them may never be
    // taken: once a newer message is held, a copy without it keeps the count held.
    for (const [conversationId, seqs] of this.unlisted) {
      const listed = conversations.find((c) => c.id === conversationId);
      if (!listed) continue;
      this.unlisted.delete(conversationId);
      const missed = [...seqs].filter(([seq]) => seq > listed.lastSeq);
      if (missed.length > 0) {
        conversations = withPatch(conversations, conversationId, {
          unreadCount: (listed.unreadCount ?? 0) + missed.length,
          mentionCount: (listed.mentionCount ?? 0) + missed.filter(([, mentioned]) => mentioned).length,
        });
      }
    }
    this.cell.update({ conversations });
    if (incoming.some((c) => c.muted)) this.scheduleMuteEnd();
  }

  /** A message from someone else pushed for a conversation not listed yet: counted once it is. */
  noteUnlisted(conversationId: string, seq: number, mentionsMe = false): void {
    const seqs = this.unlisted.get(conversationId) ?? new Map<number, boolean>();
    seqs.set(seq, mentionsMe);
    this.unlisted.set(conversationId, seqs);
  }

  async load(): Promise<void> {
    const same = this.cell.sameAccount();
    try {
      const items = await this.firstPages();
      if (!same()) return;
      this.take(items, true);
      for (const conversation of items) this.hooks.noteArrived(conversation);
      await this.ensureUsers(items.flatMap((c) => c.memberIds));
    } catch (error) {
      if (same()) this.cell.report(error);
    }
  }

  /** The first page of the main list and of the archived one: each copy says which it is in. */
  async firstPages(): Promise<Conversation[]> {
    const [main, archived] = await Promise.all([
      this.api.conversations(),
      this.api.conversations(undefined, true),
    ]);
    return [...main.items, ...archived.items];
  }

  /** Shows `message` as its conversation's last one if it is newer; a conversation not yet listed is fetched. */
  notePreview(message: Message): void {
    const conversation = this.find(message.conversationId);
    const last = conversation?.lastMessage;
    if (!conversation) {
      void this.load(); // someone started a chat with us
    } else if (
      (last?.seq ?? 0) < message.seq ||
      (last?.id === message.id && last.revision < message.revision)
    ) {
      this.patch(conversation.id, {
        lastMessage: message,
        lastSeq: Math.max(conversation.lastSeq, message.seq),
        // A new message brings an archived conversation back to the main list, as on the server.
        archived: (last?.seq ?? 0) < message.seq ? false : conversation.archived,
      });
    }
  }

  async setArchived(conversationId: string, archived: boolean): Promise<void> {
    const same = this.cell.sameAccount();
    try {
      const conversation = await this.api.setArchived(conversationId, archived);
      if (same()) this.takeArchived(conversation);
    } catch (error) {
      if (same()) this.cell.report(error);
    }
  }

  /**
   * A copy that says where this user's archiving stands (the answer to archiving, or its push to every
   * device of the user). It is no change of the conversation, so its version may be below the one held:
   * the state is taken all the same (the newest message held still wins, as in `refreshed`).
   */
  takeArchived(conversation: Conversation): void {
    this.take([conversation]);
    const held = this.find(conversation.id);
    const archived = held ? archivedNow(held, conversation) : false;
    if (held && held.archived !== archived) this.patch(conversation.id, { archived });
  }

  async mute(conversationId: string, forMs: number | null): Promise<void> {
    const until = forMs === null ? null : new Date(this.env.now() + forMs).toISOString();
    const same = this.cell.sameAccount();
    try {
      const conversation = await this.api.mute(conversationId, until);
      if (same()) this.takeMuted(conversation);
    } catch (error) {
      if (same()) this.cell.report(error);
    }
  }

  async unmute(conversationId: string): Promise<void> {
    const same = this.cell.sameAccount();
    try {
      const conversation = await this.api.unmute(conversationId);
      if (same()) this.takeMuted(conversation);
    } catch (error) {
      if (same()) this.cell.report(error);
    }
  }

  /** Like archiving, muting is no change of the conversation: its state is taken whatever the copy's version. */
  takeMuted(conversation: Conversation): void {
    this.take([conversation]);
    if (conversation.muted === null || conversation.muted === undefined) return;
    const held = this.find(conversation.id);
    if (held && (held.muted !== conversation.muted || held.mutedUntil !== conversation.mutedUntil)) {
      this.patch(conversation.id, { muted: conversation.muted, mutedUntil: conversation.mutedUntil });
    }
    this.scheduleMuteEnd();
  }

  /** Waits for the earliest timed mute held to end, then shows it (and any other ended) as unmuted. */
  private scheduleMuteEnd(): void {
    this.env.clearTimeout(this.muteTimer);
    this.muteTimer = null;
    const ends = this.cell.state.conversations
      .filter((c) => c.muted === true && c.mutedUntil !== null)
      .map((c) => Date.parse(c.mutedUntil as string));
    if (ends.length === 0) return;
    const wait = Math.min(Math.max(0, Math.min(...ends) - this.env.now()), MAX_TIMER_MS);
    this.muteTimer = this.env.setTimeout(() => {
      this.muteTimer = null;
      this.cell.update({ conversations: withMutesEnded(this.cell.state.conversations, this.env.now()) });
      this.scheduleMuteEnd();
    }, wait);
  }

  /** Makes sure a conversation is held (one a notification opened may be past the list's first page). */
  async ensureConversation(conversationId: string): Promise<void> {
    if (!this.find(conversationId)) await this.refresh(conversationId);
  }

  /** Asks the server for one conversation (e.g. for its unread count after reading on another device). */
  async refresh(conversationId: string): Promise<void> {
    const same = this.cell.sameAccount();
    try {
      const conversation = await this.api.conversation(conversationId);
      if (same()) this.take([conversation], true);
    } catch {
      // the next list load or catch-up corrects the count
    }
  }

  /** The direct conversation's id; null when it failed (the reader is told) or the account changed meanwhile. */
  async openDirect(userId: string): Promise<string | null> {
    const same = this.cell.sameAccount();
    try {
      const conversation = await this.api.openDirect(userId);
      if (!same()) return null;
      this.take([conversation]);
      await this.ensureUsers(conversation.memberIds);
      return conversation.id;
    } catch (error) {
      if (same()) this.cell.report(error);
      return null;
    }
  }

  async createGroup(name: string, memberIds: string[]): Promise<string> {
    const same = this.cell.sameAccount();
    const conversation = await this.api.createGroup(name, memberIds);
    if (!same()) return conversation.id;
    this.take([conversation]);
    await this.ensureUsers(conversation.memberIds);
    return conversation.id;
  }

  /** A group change (members, name) answered with the group's copy. Errors go to the caller. */
  async takeGroup(request: Promise<Conversation>): Promise<void> {
    const same = this.cell.sameAccount();
    const conversation = await request;
    if (!same()) return;
    this.take([conversation]);
    await this.ensureUsers(conversation.memberIds);
  }

  async ensureUsers(ids: string[]): Promise<void> {
    await this.fetchUsers([...new Set(ids)].filter((id) => !this.cell.state.users[id]));
  }

  private async fetchUsers(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const same = this.cell.sameAccount();
    const found = await Promise.all(ids.map((id) => this.api.user(id).catch(() => null)));
    if (!same()) return;
    const users = { ...this.cell.state.users };
    for (const user of found) if (user) users[user.id] = user;
    this.cell.update({ users });
  }

  /** Presence is not in the catch-up feed: fetch again the people whose status is shown (direct chats). */
  async refreshPresence(): Promise<void> {
    const shown = new Set<string>();
    for (const conversation of this.cell.state.conversations) {
      const other = otherMember(conversation, this.cell.me);
      if (other) shown.add(other);
    }
    await this.fetchUsers([...shown]);
  }

  takePresence(frame: Extract<ServerFrame, { type: "presence" }>): void {
    const user = this.cell.state.users[frame.userId];
    if (!user) return;
    const seen = { ...user, online: frame.online, lastSeenAt: frame.lastSeenAt };
    this.cell.update({ users: { ...this.cell.state.users, [user.id]: seen } });
  }

  /** Forgets what belonged to the previous account. */
  forget(): void {
    this.env.clearTimeout(this.muteTimer);
    this.muteTimer = null;
    this.unlisted.clear();
  }
}
