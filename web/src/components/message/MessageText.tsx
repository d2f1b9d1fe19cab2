import { mentionPieces } from "../../lib/mentions";
import { useChatSelector } from "../useChat";

const NO_ONE: readonly string[] = [];

/** A message's text, with the `@username`s of the members it names marked (groups only name anyone). */
export function MessageText({
  text,
  mentions = NO_ONE,
  mine,
}: {
  text: string;
  mentions?: readonly string[];
  mine: boolean;
}) {
  // A string, so this re-renders only when a named member's username does.
  const usernames = useChatSelector((state) =>
    mentions.map((id) => state.users[id]?.username.toLowerCase() ?? "").join(" "),
  );
  if (mentions.length === 0) return <span data-testid="message-text">{text}</span>;
  const pieces = mentionPieces(text, new Set(usernames.split(" ").filter(Boolean)));
  return (
    <span data-testid="message-text">
      {pieces.map((piece, index) =>
        piece.marked ? (
          <span
            // biome-ignore lint/suspicious/noArrayIndexKey: the pieces of one text, in order
            key={index}
            data-testid="mention"
            className={`rounded font-semibold ${mine ? "underline" : "bg-teal-50 px-0.5 text-teal-800"}`}
          >
            {piece.text}
          </span>
        ) : (
          piece.text
        ),
      )}
    </span>
  );
}
