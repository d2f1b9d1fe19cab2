import { type ApiClient, ApiError } from "../api";
import { MAX_QUERY_WORDS, words } from "../searchWords";
import type { Message } from "../types";
import type { ConversationList } from "./conversations";
import type { ChatStateCell } from "./state";

/** Results asked for at once. */
export const SEARCH_PAGE_SIZE = 20;

/** A message search and what it found so far. */
export interface SearchState {
  query: string;
  /** The conversation searched; null: every chat this user may read. */
  conversationId: string | null;
  /** Newest first. */
  items: Message[];
  /** Where the next page starts; null when there is none. */
  nextBefore: string | null;
  /** "loading" while a page (the first or the next) is on its way; the items found stay. */
  status: "loading" | "done" | "failed";
  /** Why it failed, in words for the reader. */
  error: string | null;
}

/**
 * Searching messages by their words (GET /api/search): one search at a time, the newest asked winning;
 * "Load more" pages on with `nextBefore`. The senders and chats found are fetched when not held.
 */
export class MessageSearch {
  /** Counts the searches asked for: an answer to any but the latest is dropped. */
  private asked = 0;

  constructor(
    private readonly cell: ChatStateCell,
    private readonly api: ApiClient,
    private readonly list: ConversationList,
  ) {}

  /** Starts a search; a query with no words, or too many, is answered here. */
  search(query: string, conversationId: string | null): Promise<void> {
    const count = words(query).length;
    const start: SearchState = {
      query: query.trim(),
      conversationId,
      items: [],
      nextBefore: null,
      status: "loading",
      error: null,
    };
    if (count === 0 || count > MAX_QUERY_WORDS) {
      this.asked += 1;
      const error =
        count === 0 ? "Type a word to search for." : `Search for ${MAX_QUERY_WORDS} words at most.`;
      this.cell.update({ search: { ...start, status: "failed", error } });
      return Promise.resolve();
    }
    return this.fetch(start, undefined);
  }

  /** The next page of the search shown, if it has one. */
  more(): Promise<void> {
    const search = this.cell.state.search;
    if (!search?.nextBefore || search.status === "loading") return Promise.resolve();
    return this.fetch({ ...search, status: "loading", error: null }, search.nextBefore);
  }

  private async fetch(start: SearchState, before: string | undefined): Promise<void> {
    const asked = ++this.asked;
    this.cell.update({ search: start });
    const same = this.cell.sameAccount();
    const current = () => same() && asked === this.asked;
    try {
      const page = await this.api.search(start.query, {
        conversationId: start.conversationId,
        before,
        limit: SEARCH_PAGE_SIZE,
      });
      if (!current()) return;
      const have = new Set(start.items.map((m) => m.id));
      const items = [...start.items, ...page.items.filter((m) => !have.has(m.id))];
      this.cell.update({ search: { ...start, items, nextBefore: page.nextBefore, status: "done" } });
      await this.noteFound(page.items);
    } catch (error) {
      if (!current()) return;
      const signedOut = error instanceof ApiError && error.status === 401;
      const why = error instanceof Error && !signedOut ? error.message : "The search failed.";
      this.cell.update({ search: { ...start, status: "failed", error: why } });
    }
  }

  /** Who wrote what was found, and the chats it is in, when not held (a chat past the list's first page). */
  private async noteFound(found: readonly Message[]): Promise<void> {
    const chats = [...new Set(found.map((m) => m.conversationId))].filter((id) => !this.list.find(id));
    await Promise.all([
      this.list.ensureUsers(found.map((m) => m.senderId)),
      ...chats.map((id) => this.list.ensureConversation(id)),
    ]);
  }

  /** An edit or deletion of a message found: the result shows it as it now is. */
  takeUpdate(message: Message): void {
    const search = this.cell.state.search;
    const at = search?.items.findIndex((m) => m.id === message.id) ?? -1;
    const held = search?.items[at];
    if (!search || !held || held.revision >= message.revision) return;
    const items = search.items.map((m) => (m.id === message.id ? message : m));
    this.cell.update({ search: { ...search, items } });
  }

  /** Closes the search: an answer still on its way is dropped. */
  clear(): void {
    this.asked += 1;
    this.cell.update({ search: null });
  }
}
