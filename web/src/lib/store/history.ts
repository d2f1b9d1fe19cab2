import { type ApiClient, ApiError } from "../api";
import { mentions } from "../mentions";
import { lastSeq, mergeMessages, newestFromOthers, withinLoaded } from "../messages";
import { withQuotesFollowing } from "../replies";
import type { ChangesPage, Conversation, Message } from "../types";
import { type ConversationList, isMember } from "./conversations";
import type { ChatEnvironment, Timer } from "./environment";
import type { Receipts } from "./receipts";
import { type ChatState, type ChatStateCell, type Jump, withEntry, withoutEntry } from "./state";

/**
 * How long a hole below a pushed message may stay open before the change feed is read: pushes from
 * parallel senders can arrive out of order, so most holes fill by themselves within it.
 */
export const GAP_WAIT_MS = 1_000;
/** At most one link refresh per conversation in this long (links last an hour or more). */
const LINK_REFRESH_INTERVAL_MS = 30_000;

/**
 * The held messages with `incoming` merged into one conversation's list, and the quotes of loaded
 * replies to them following them (an edit, a deletion); the other conversations keep theirs.
 */
export function withMessages(
  messages: ChatState["messages"],
  conversationId: string,
  incoming: readonly Message[],
): ChatState["messages"] {
  const merged = mergeMessages(messages[conversationId] ?? [], incoming);
  return withEntry(messages, conversationId, withQuotesFollowing(merged, incoming));
}

/**
 * Each conversation's loaded history (the newest page, then older pages on request), what pushes bring
 * to it, and the catch-up: a cursor per conversation into its change feed, moved by the feed and by
 * pushes that come without a hole, and holes (seq or version) read from the feed after GAP_WAIT_MS.
 */
export class History {
  /** Catch-up cursor per conversation: the version of the last copy taken from the server. */
  private readonly cursors = new Map<string, number>();
  /** Versions pushed above a conversation's cursor while a lower one has not come (its messages held). */
  private readonly pushedVersions = new Map<string, Set<number>>();
  /** Seq ranges [from, to) missing below pushed messages, per conversation, while GAP_WAIT_MS runs. */
  private readonly gaps = new Map<string, { missing: Array<[number, number]>; timer: Timer }>();
  private readonly linksRefreshedAt = new Map<string, number>();
  /** An older page being loaded, per conversation: a scroll that asks again shares it. */
  private readonly olderLoading = new Map<string, Promise<boolean>>();
  /** The newest page being loaded, per conversation: an opening and a jump share it. */
  private readonly newestLoading = new Map<string, Promise<void>>();
  /** Counts the jumps asked for (see `jumpTo`). */
  private jumps = 0;

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    private readonly api: ApiClient,
    private readonly list: ConversationList,
    private readonly receipts: Receipts,
  ) {}

  private held(conversationId: string): Message[] | undefined {
    return this.cell.state.messages[conversationId];
  }

  /**
   * Server copies were taken. A conversation's cursor starts at its first copy and moves with
   * `moveCursors` (a list load or GET, as the spec says) or a catch-up; never with a push. Once its
   * messages are held, only the change feed moves it: a list copy may count a message whose push never
   * came, and a cursor past it would hide it from the next catch-up.
   */
  noteCopies(incoming: readonly Conversation[], moveCursors: boolean): void {
    for (const conversation of incoming) {
      const cursor = this.cursors.get(conversation.id);
      const historyHeld = this.held(conversation.id) !== undefined;
      if (cursor === undefined || (moveCursors && !historyHeld && conversation.version > cursor)) {
        this.cursors.set(conversation.id, conversation.version);
      }
    }
  }

  /** Shows a conversation: loads its newest page unless its history is held, and a group's receipts. */
  async open(conversationId: string): Promise<void> {
    await Promise.all([this.loadNewest(conversationId), this.receipts.load(conversationId)]);
  }

  /** The newest page, unless history is held; an opening and a jump asking at once share one request. */
  private loadNewest(conversationId: string): Promise<void> {
    if (this.held(conversationId)) return Promise.resolve();
    const shared = this.newestLoading.get(conversationId);
    if (shared) return shared;
    const same = this.cell.sameAccount();
    const loading = this.api
      .history(conversationId, {})
      .then((page) => {
        if (same()) this.store(conversationId, page.items, page.nextBefore !== null);
      })
      .catch((error: unknown) => {
        if (same()) this.cell.report(error);
      })
      .finally(() => {
        if (this.newestLoading.get(conversationId) === loading) this.newestLoading.delete(conversationId);
      });
    this.newestLoading.set(conversationId, loading);
    return loading;
  }

  /**
   * The page before the oldest held; false when it could not be had. A failure is told, and leaves
   * the caller free to ask again (the list waits a little before its scrolling does).
   */
  loadOlder(conversationId: string): Promise<boolean> {
    const first = this.held(conversationId)?.[0];
    if (!first || !this.cell.state.hasOlder[conversationId]) return Promise.resolve(true);
    const shared = this.olderLoading.get(conversationId);
    if (shared) return shared;
    const same = this.cell.sameAccount();
    const loading: Promise<boolean> = this.api
      .history(conversationId, { before: first.seq })
      .then((page) => {
        if (same()) this.store(conversationId, page.items, page.nextBefore !== null);
        return true;
      })
      .catch((error: unknown) => {
        if (same()) this.cell.report(error);
        return false;
      })
      .finally(() => {
        // Another account's loading of this conversation may have taken the entry since.
        if (this.olderLoading.get(conversationId) === loading) this.olderLoading.delete(conversationId);
      });
    this.olderLoading.set(conversationId, loading);
    return loading;
  }

  /** Keeps messages in a conversation's history, then says what arrived and reads what is on screen. */
  store(conversationId: string, incoming: Message[], hasOlder?: boolean): void {
    const state = this.cell.state;
    const patch: Partial<ChatState> = { messages: withMessages(state.messages, conversationId, incoming) };
    if (hasOlder !== undefined) patch.hasOlder = withEntry(state.hasOlder, conversationId, hasOlder);
    this.cell.update(patch);
    const messages = this.held(conversationId) ?? [];
    const newest = messages[messages.length - 1];
    if (newest) this.list.notePreview(newest);
    const fromOthers = newestFromOthers(incoming, this.cell.me);
    if (fromOthers) this.receipts.noteDelivered(conversationId, fromOthers);
    if (this.receipts.shown === conversationId) this.receipts.noteReading();
  }

  /** A message pushed to this user's sockets: counted once, by seq, unless the reader sees it arrive. */
  takePushed(message: Message, version: number | undefined): void {
    const conversationId = message.conversationId;
    const me = this.cell.me;
    const conversation = this.list.find(conversationId);
    const unread =
      !!conversation &&
      message.senderId !== me &&
      message.seq > conversation.lastSeq &&
      !this.receipts.isReading(conversationId);
    // Only a conversation whose history is loaded keeps messages; for the others the push updates the
    // list, and opening them loads their history.
    if (this.held(conversationId)) {
      this.noteGap(message);
      this.store(conversationId, [message]);
      this.noteVersion(conversationId, version);
    } else {
      this.list.notePreview(message);
      if (message.senderId !== me) this.receipts.noteDelivered(conversationId, message.seq);
    }
    if (unread) {
      const now = this.list.find(conversationId);
      this.list.patch(conversationId, {
        unreadCount: (now?.unreadCount ?? 0) + 1,
        ...(mentions(message, me) ? { mentionCount: (now?.mentionCount ?? 0) + 1 } : {}),
      });
    } else if (!conversation && message.senderId !== me) {
      this.list.noteUnlisted(conversationId, message.seq, mentions(message, me));
    }
  }

  /** An edit, a deletion or a reaction: kept only where it is newer than the copy held. */
  takeUpdate(message: Message): void {
    const conversationId = message.conversationId;
    const held = this.held(conversationId);
    const conversation = this.list.find(conversationId);
    const before =
      held?.find((m) => m.id === message.id) ??
      (conversation?.lastMessage?.id === message.id ? conversation.lastMessage : undefined);
    if (before && before.revision >= message.revision) return;
    const me = this.cell.me;
    if (
      conversation &&
      before &&
      !before.deletedAt &&
      message.senderId !== me &&
      message.seq > this.receipts.own(conversationId).readSeq
    ) {
      // The server stops counting a deleted message as unread; so does this client. An edit may name
      // this user, or no longer: the mention count follows (the server resolves mentions again).
      const named = (m: Message) => (m.deletedAt ? 0 : Number(mentions(m, me)));
      const mentionChange = named(message) - named(before);
      const unreadChange = message.deletedAt && conversation.unreadCount ? -1 : 0;
      if (mentionChange || unreadChange) {
        this.list.patch(conversationId, {
          unreadCount: (conversation.unreadCount ?? 0) + unreadChange,
          mentionCount: Math.max(0, (conversation.mentionCount ?? 0) + mentionChange),
        });
      }
    }
    // Only a loaded history keeps messages; the others get it (current) when they are opened.
    if (held) {
      // An original older than the loaded pages is not kept, but the quotes of loaded replies follow it.
      const kept = withMessages(this.cell.state.messages, conversationId, withinLoaded(held, [message]));
      const messages = withEntry(
        kept,
        conversationId,
        withQuotesFollowing(kept[conversationId] ?? [], [message]),
      );
      this.cell.update({ messages });
    }
    if (conversation?.lastMessage?.id === message.id)
      this.list.patch(conversationId, { lastMessage: message });
  }

  /**
   * Brings a message into the loaded history and asks the list to show it (`jump`): the newest page if
   * none is held, then older pages (the server reads them from the archive where they are there) until
   * its seq is loaded. A message gone from the history (retention) is told as such.
   */
  async jumpTo(conversationId: string, messageId: string, seq: number): Promise<void> {
    this.jumps += 1;
    const jump: Jump = { conversationId, messageId, seq, id: this.jumps };
    this.cell.update({ jump });
    const current = () => this.cell.state.jump === jump;
    const found = () => !!this.held(conversationId)?.some((m) => m.id === messageId);
    await this.loadNewest(conversationId);
    for (;;) {
      const oldest = this.held(conversationId)?.[0];
      if (!current() || !oldest || found() || oldest.seq <= seq || !this.cell.state.hasOlder[conversationId])
        break;
      if (!(await this.loadOlder(conversationId))) {
        // Told why (a notice); the jump is dropped, so a later scroll back is not snapped to it.
        if (current()) this.cell.update({ jump: null });
        return;
      }
    }
    if (current() && this.held(conversationId) && !found()) {
      this.cell.update({ jump: null, notice: "That message is no longer in the chat's history." });
    }
  }

  /** The list has shown the message it was asked to. */
  jumped(jump: Jump): void {
    if (this.cell.state.jump === jump) this.cell.update({ jump: null });
  }

  /**
   * After a reconnect (the spec's catch-up): take the conversation list, then for each conversation
   * changed since its cursor apply what changed; then refresh the presence shown and mark what arrived.
   */
  async catchUp(): Promise<void> {
    const same = this.cell.sameAccount();
    let listed: Conversation[];
    try {
      // The archived list too: a conversation archived on another device meanwhile is absent from the main one.
      listed = await this.list.firstPages();
    } catch (error) {
      if (same()) this.cell.report(error);
      return;
    }
    if (!same()) return;
    const ids = new Set(listed.map((c) => c.id));
    // An open conversation past the first page (or one we were removed from) is asked too.
    const unlisted = this.cell.state.conversations.filter(
      (c) => !ids.has(c.id) && this.held(c.id) && isMember(c, this.cell.me),
    );
    // Receipts are not in the feed: the group on screen asks for them again (the others when opened).
    const shown = this.receipts.shown;
    await Promise.all([
      ...listed.map((c) => this.catchUpConversation(c.id, c)),
      ...unlisted.map((c) => this.catchUpConversation(c.id)),
      shown ? this.receipts.load(shown) : undefined,
    ]);
    if (!same()) return;
    await this.list.ensureUsers(listed.flatMap((c) => c.memberIds));
    await this.list.refreshPresence();
    if (!same()) return;
    for (const conversation of this.cell.state.conversations) this.receipts.noteArrived(conversation);
    this.receipts.noteReading();
  }

  private async catchUpConversation(conversationId: string, listed?: Conversation): Promise<void> {
    const cursor = this.cursors.get(conversationId);
    if (listed && (cursor === undefined || !this.held(conversationId))) {
      // No history held: the list's copy is everything the feed would give.
      this.list.take([listed]);
      this.cursors.set(conversationId, listed.version);
      return;
    }
    if (listed && listed.version <= (cursor ?? 0)) {
      this.list.take([listed]);
      return;
    }
    const same = this.cell.sameAccount();
    try {
      const page = await this.api.changes(conversationId, cursor ?? 0);
      if (same()) await this.applyChanges(page);
    } catch (error) {
      if (!same()) return;
      if (error instanceof ApiError && error.status === 403) {
        // Removed while away: keep the conversation, read-only.
        const conversation = this.list.find(conversationId);
        if (conversation) {
          this.list.patch(conversationId, {
            memberIds: conversation.memberIds.filter((id) => id !== this.cell.me),
          });
        }
      } else {
        this.cell.report(error);
      }
    }
  }

  private async applyChanges(page: ChangesPage): Promise<void> {
    const conversationId = page.conversation.id;
    this.list.take([page.conversation]);
    this.cursors.set(conversationId, page.cursor);
    this.followPushes(conversationId);
    if (page.resync) {
      // Too much changed to list: load the newest page again, as on first open.
      this.cell.update({ messages: withoutEntry(this.cell.state.messages, conversationId) });
      await this.open(conversationId);
    } else {
      const held = this.held(conversationId);
      if (held) this.store(conversationId, withinLoaded(held, page.messages));
    }
  }

  /**
   * A pushed message above the newest one held leaves a hole. Pushes can arrive out of order, so wait
   * GAP_WAIT_MS, then read the conversation's change feed once if the hole is still open. Holes found
   * during the wait share that one read; a seq that never fills (a resend skipped it) is not asked again,
   * as it lies below the newest held from then on.
   */
  noteGap(message: Message): void {
    const conversationId = message.conversationId;
    const held = this.held(conversationId);
    if (!held) return; // no history held: the list shows the newest message, opening loads the rest
    const newest = lastSeq(held);
    if (message.seq <= newest + 1) return;
    this.openGap(conversationId, [newest + 1, message.seq]);
  }

  /** Starts the wait for a hole (seqs [from, to), or a version hole when no range is given). */
  private openGap(conversationId: string, range?: [number, number]): void {
    const gap = this.gaps.get(conversationId);
    if (gap) {
      if (range) gap.missing.push(range);
    } else {
      const timer = this.env.setTimeout(() => void this.closeGap(conversationId), GAP_WAIT_MS);
      this.gaps.set(conversationId, { missing: range ? [range] : [], timer });
    }
  }

  private async closeGap(conversationId: string): Promise<void> {
    const gap = this.gaps.get(conversationId);
    this.gaps.delete(conversationId);
    const held = this.held(conversationId);
    if (!gap || !held) return;
    const seqs = new Set(held.map((m) => m.seq));
    const open = gap.missing.some(([from, to]) => {
      for (let seq = from; seq < to; seq++) if (!seqs.has(seq)) return true;
      return false;
    });
    if (open || this.pushedVersions.has(conversationId)) await this.catchUpConversation(conversationId);
  }

  /**
   * A pushed change's version. While pushes come without a hole the cursor follows them, so a
   * reconnect reads the feed from where this client really is (not from when it opened the
   * conversation, which in a busy group would soon be past what the feed keeps). A hole — a push late,
   * lost, or a change that pushes nothing of its own — waits GAP_WAIT_MS like a seq gap, then the feed
   * is read once.
   */
  noteVersion(conversationId: string, version: number | undefined): void {
    const cursor = this.cursors.get(conversationId);
    if (version === undefined || cursor === undefined || version <= cursor) return;
    if (!this.held(conversationId)) return; // no history held: the feed is read on opening
    const seen = this.pushedVersions.get(conversationId) ?? new Set<number>();
    seen.add(version);
    this.pushedVersions.set(conversationId, seen);
    this.followPushes(conversationId);
    if (this.pushedVersions.has(conversationId)) this.openGap(conversationId);
  }

  /** Moves the cursor over the pushed versions that follow it without a hole. */
  private followPushes(conversationId: string): void {
    const seen = this.pushedVersions.get(conversationId);
    let cursor = this.cursors.get(conversationId);
    if (!seen || cursor === undefined) return;
    for (const version of seen) if (version <= cursor) seen.delete(version);
    while (seen.delete(cursor + 1)) cursor += 1;
    this.cursors.set(conversationId, cursor);
    if (seen.size === 0) this.pushedVersions.delete(conversationId);
  }

  /** Media links expire: when one fails to load, reload the loaded history to get fresh ones. */
  async refreshLinks(conversationId: string): Promise<void> {
    const now = this.env.now();
    if (now - (this.linksRefreshedAt.get(conversationId) ?? 0) < LINK_REFRESH_INTERVAL_MS) return;
    this.linksRefreshedAt.set(conversationId, now);
    const loaded = this.held(conversationId) ?? [];
    let after = (loaded[0]?.seq ?? 1) - 1;
    const same = this.cell.sameAccount();
    try {
      for (;;) {
        const page = await this.api.history(conversationId, { after, limit: 100 });
        if (!same()) return;
        this.store(conversationId, page.items);
        if (page.items.length < 100) break;
        after = lastSeq(page.items);
      }
    } catch (error) {
      if (same()) this.cell.report(error);
    }
  }

  /** Forgets what belonged to the previous account. */
  forget(): void {
    this.cursors.clear();
    for (const gap of this.gaps.values()) this.env.clearTimeout(gap.timer);
    this.gaps.clear();
    this.pushedVersions.clear();
    this.linksRefreshedAt.clear();
    this.olderLoading.clear();
    this.newestLoading.clear();
  }
}
