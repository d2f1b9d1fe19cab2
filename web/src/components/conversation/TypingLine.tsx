import { useChatSelector } from "../useChat";

/** Who is typing in a conversation, announced politely to screen readers. */
export function TypingLine({ conversationId }: { conversationId: string }) {
  const line = useChatSelector((state) =>
    typingLine(
      Object.keys(state.typing[conversationId] ?? {}).map((id) => state.users[id]?.displayName ?? "Someone"),
    ),
  );
  return (
    <p aria-live="polite" data-testid="typing" className="h-5 text-xs italic text-slate-500">
      {line}
    </p>
  );
}

function typingLine(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
