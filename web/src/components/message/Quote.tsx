import type { ReplyTo } from "../../lib/types";
import { useChatSelector, useMyId, useStore } from "../useChat";

/** What a quote says: the excerpt, or what stands for it (a deletion, files without text). */
export function quoteText(quote: ReplyTo): string {
  if (quote.excerpt || quote.deleted) return quote.excerpt;
  const files = quote.attachments ?? 1;
  return files === 1 ? "📎 A file" : `📎 ${files} files`;
}

/** Who wrote the quoted message, and what it says: above a reply's text, and in the composer. */
export function QuoteBody({ quote, mine = false }: { quote: ReplyTo; mine?: boolean }) {
  const me = useMyId();
  const name = useChatSelector((state) =>
    quote.senderId === me ? "You" : (state.users[quote.senderId]?.displayName ?? "Someone"),
  );
  return (
    <>
      <span className={`block truncate text-xs font-semibold ${mine ? "text-white" : "text-teal-800"}`}>
        {name}
      </span>
      <span
        data-testid="quote-text"
        className={`line-clamp-2 text-sm ${quote.deleted ? "italic" : ""} ${mine ? "text-teal-50" : "text-slate-700"}`}
      >
        {quoteText(quote)}
      </span>
    </>
  );
}

/**
 * The message a reply quotes, above its text: a click shows the original (loading older history as far
 * as it must). A deleted original is only named as such.
 */
export function Quote({
  quote,
  conversationId,
  mine,
}: {
  quote: ReplyTo;
  conversationId: string;
  mine: boolean;
}) {
  const store = useStore();
  const look = `mb-1 block w-full min-w-32 rounded border-l-4 px-2 py-1 text-left ${
    mine ? "border-teal-200 bg-teal-800" : "border-teal-600 bg-slate-100"
  }`;
  if (quote.deleted) {
    return (
      <span data-testid="quote" data-deleted="true" className={look}>
        <QuoteBody quote={quote} mine={mine} />
      </span>
    );
  }
  return (
    <button
      type="button"
      data-testid="quote"
      title="Show the original message"
      onClick={() => void store.jumpTo(conversationId, quote.messageId, quote.seq)}
      className={`${look} ${mine ? "hover:bg-teal-900" : "hover:bg-slate-200"}`}
    >
      <span className="sr-only">In reply to: </span>
      <QuoteBody quote={quote} mine={mine} />
    </button>
  );
}
