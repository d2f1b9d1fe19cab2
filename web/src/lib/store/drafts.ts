import type { KeyValueStorage } from "./environment";
import { type ChatState, type ChatStateCell, loadSaved, withEntry, withoutEntry } from "./state";

const DRAFTS_KEY = "chat.drafts";

/** Each conversation's unsent text; an empty one is no draft. */
export function withDraft(
  drafts: ChatState["drafts"],
  conversationId: string,
  text: string,
): ChatState["drafts"] {
  return text ? withEntry(drafts, conversationId, text) : withoutEntry(drafts, conversationId);
}

export function loadDrafts(storage: KeyValueStorage): ChatState["drafts"] {
  return loadSaved<ChatState["drafts"]>(storage, DRAFTS_KEY, {});
}

/** Keeps a conversation's draft, across reloads too. The composer calls it now and then, not per keystroke. */
export function saveDraft(
  cell: ChatStateCell,
  storage: KeyValueStorage,
  conversationId: string,
  text: string,
): void {
  const drafts = withDraft(cell.state.drafts, conversationId, text);
  if (drafts === cell.state.drafts) return;
  storage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
  cell.update({ drafts });
}
