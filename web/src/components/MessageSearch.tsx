import { type FormEvent, useId, useState } from "react";
import { matchPieces, words } from "../lib/searchWords";
import type { Message } from "../lib/types";
import { Button } from "./Button";
import { SearchIcon } from "./Icons";
import { conversationTitle, formatTime, shortDay, useChatSelector, useMyId, useStore } from "./useChat";

interface Scope {
  /** The conversation searched; null: every chat. */
  conversationId: string | null;
}

/** The search box: Enter (or the button) searches messages for its words. */
export function MessageSearchBox({
  conversationId,
  label,
  autoFocus = false,
  compact = false,
}: Scope & { label: string; autoFocus?: boolean; compact?: boolean }) {
  const store = useStore();
  const id = useId();
  const [query, setQuery] = useState(() => {
    const search = store.getState().search;
    return search?.conversationId === conversationId ? search.query : "";
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    void store.searchMessages(query, conversationId);
  }
  return (
    <search aria-label={label}>
      <form onSubmit={submit}>
        <label htmlFor={id} className={`block font-medium ${compact ? "text-xs text-slate-600" : "sr-only"}`}>
          {label}
        </label>
        <span className="mt-1 flex gap-1">
          <input
            id={id}
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            // biome-ignore lint/a11y/noAutofocus: opened by the reader to type in at once
            autoFocus={autoFocus}
            enterKeyHint="search"
            maxLength={200}
            placeholder="Words in messages"
            className="min-w-0 flex-1 rounded border border-slate-300 px-3 py-1.5 text-sm focus:border-teal-600 focus:outline-none"
          />
          <Button type="submit" size="xs" aria-label="Search" title="Search">
            <SearchIcon />
          </Button>
        </span>
      </form>
    </search>
  );
}

/**
 * What a search found, newest first: who wrote it, where (searching every chat), when, and the text
 * with the words searched for marked. Choosing one opens its chat at it.
 */
export function MessageSearchResults({
  conversationId,
  onChoose,
  onClose,
}: Scope & { onChoose: (message: Message) => void; onClose?: () => void }) {
  const store = useStore();
  const search = useChatSelector((state) =>
    state.search?.conversationId === conversationId ? state.search : null,
  );
  if (!search) return null;
  const wanted = new Set(words(search.query));
  const found = search.items.length;
  const summary =
    search.status === "failed"
      ? search.error
      : found === 0
        ? search.status === "loading"
          ? "Searching…"
          : `No messages hold “${search.query}”.`
        : search.nextBefore
          ? `${found} messages shown, more below` // a count of all matches would cost a query of its own
          : `${found} message${found === 1 ? "" : "s"} found`;
  return (
    <section aria-label="Search results" className="flex min-h-0 flex-1 flex-col">
      <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-3 py-2">
        <p
          role="status"
          data-testid="search-summary"
          className={`text-sm ${search.status === "failed" ? "text-red-700" : "text-slate-600"}`}
        >
          {summary}
        </p>
        <Button
          variant="ghost"
          size="xs"
          className="text-sm"
          onClick={() => {
            store.closeSearch();
            onClose?.();
          }}
        >
          Close search
        </Button>
      </div>
      <ul className="min-h-0 flex-1 overflow-y-auto">
        {search.items.map((message) => (
          <SearchResult
            key={message.id}
            message={message}
            wanted={wanted}
            showChat={conversationId === null}
            onChoose={onChoose}
          />
        ))}
        {search.nextBefore && (
          <li className="p-2 text-center">
            <Button
              variant="link"
              className="text-sm text-teal-700"
              disabled={search.status === "loading"}
              onClick={() => void store.searchMore()}
            >
              {search.status === "loading" ? "Loading…" : "Load more"}
            </Button>
          </li>
        )}
      </ul>
    </section>
  );
}

function SearchResult({
  message,
  wanted,
  showChat,
  onChoose,
}: {
  message: Message;
  wanted: ReadonlySet<string>;
  showChat: boolean;
  onChoose: (message: Message) => void;
}) {
  const me = useMyId();
  const sender = useChatSelector((state) =>
    message.senderId === me ? "You" : (state.users[message.senderId]?.displayName ?? "Someone"),
  );
  const chat = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === message.conversationId);
    return conversation ? conversationTitle(conversation, state.users, me) : "A chat";
  });
  const day = shortDay(message.createdAt);
  return (
    <li>
      <button
        type="button"
        data-testid="search-result"
        onClick={() => onChoose(message)}
        className="w-full border-b border-slate-100 px-3 py-2 text-left hover:bg-slate-100"
      >
        <span className="flex items-baseline justify-between gap-2 text-xs text-slate-600">
          <span className="min-w-0 truncate">
            <span className="font-semibold text-slate-900">{sender}</span>
            {showChat && <span data-testid="search-result-chat"> in {chat}</span>}
          </span>
          <time dateTime={message.createdAt} className="shrink-0">
            {day}, {formatTime(message.createdAt)}
          </time>
        </span>
        <span
          data-testid="search-result-text"
          className="line-clamp-3 whitespace-pre-wrap break-words text-sm"
        >
          {message.deletedAt ? (
            <span className="italic text-slate-600">This message was deleted</span>
          ) : (
            matchPieces(message.text, wanted).map((piece, index) =>
              piece.marked ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one text, in order
                <mark key={index} className="rounded bg-amber-200 px-0.5 text-slate-900">
                  {piece.text}
                </mark>
              ) : (
                piece.text
              ),
            )
          )}
        </span>
      </button>
    </li>
  );
}
