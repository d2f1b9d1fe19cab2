import type { KeyValueStorage } from "./environment";
import { type ChatState, type ChatStateCell, loadSaved, withEntry, withoutEntry } from "./state";

/** Where drafts were saved before they were kept per user: whose they are is unknown, so they go. */
const UNOWNED_DRAFTS_KEY = "chat.drafts";

/** Where a user's drafts are saved: per user, so one never finds another's text ready to send as theirs. */
export function draftsKey(userId: string): string {
  return `chat.drafts.${userId}`;
}

/** Each conversation's unsent text; an empty one is no draft. */
export function withDraft(
  drafts: ChatState["drafts"],
  conversationId: string,
  text: string,
): ChatState["drafts"] {
  return text ? withEntry(drafts, conversationId, text) : withoutEntry(drafts, conversationId);
}

/**
 * Each conversation's unsent text, saved per user across reloads and shared by this site's tabs. The
 * state holds the signed-in user's drafts; signed out, none (they stay saved for the next sign-in).
 */
export class Drafts {
  /** The signed-in user, or the last one: their composer, closing after the sign-out, still saves. */
  private owner = "";

  constructor(
    private readonly cell: ChatStateCell,
    private readonly storage: KeyValueStorage,
  ) {
    if (storage.getItem(UNOWNED_DRAFTS_KEY) !== null) storage.removeItem(UNOWNED_DRAFTS_KEY);
    this.followAccount();
  }

  /** The account changed (or the app started): the state shows the new user's drafts, or none. */
  followAccount(): void {
    const me = this.cell.me;
    if (me) this.owner = me;
    this.cell.update({ drafts: me ? this.stored(me) : {} });
  }

  /** Another tab changed `key` (null: cleared the storage): the drafts shown follow its changes. */
  followOtherTab(key: string | null): void {
    const me = this.cell.me;
    if (me && (key === null || key === draftsKey(me))) this.cell.update({ drafts: this.stored(me) });
  }

  /**
   * Keeps a conversation's draft. The composer calls it now and then, not per keystroke. Storage is read
   * again first and only this conversation's entry changes, so what other tabs saved meanwhile stays.
   */
  save(conversationId: string, text: string): void {
    if (!this.owner) return;
    const stored = this.stored(this.owner);
    const drafts = withDraft(stored, conversationId, text);
    if (drafts !== stored) {
      const key = draftsKey(this.owner);
      if (Object.keys(drafts).length > 0) this.storage.setItem(key, JSON.stringify(drafts));
      else this.storage.removeItem(key);
    }
    if (this.cell.me !== this.owner) return; // signed out: saved for their next sign-in, shown to no one
    this.cell.update({ drafts: withDraft(this.cell.state.drafts, conversationId, text) });
  }

  private stored(userId: string): ChatState["drafts"] {
    return loadSaved<ChatState["drafts"] | null>(this.storage, draftsKey(userId), {}) ?? {};
  }
}
