import type { Message } from "../../lib/types";
import { useChatSelector, useMyId, useStore } from "../useChat";
import { names } from "./names";

/** The reactions a message has, each a toggle for mine; hovering one says who chose it. */
export function Reactions({ message, canAct }: { message: Message; canAct: boolean }) {
  const chosen = Object.entries(message.reactions).filter(([, ids]) => ids.length);
  if (chosen.length === 0) return null;
  return (
    <ul aria-label="Reactions" className="mt-0.5 flex flex-wrap gap-1">
      {chosen.map(([emoji, ids]) => (
        <li key={emoji}>
          <Reaction messageId={message.id} emoji={emoji} ids={ids} canAct={canAct} />
        </li>
      ))}
    </ul>
  );
}

function Reaction({
  messageId,
  emoji,
  ids,
  canAct,
}: {
  messageId: string;
  emoji: string;
  ids: readonly string[];
  canAct: boolean;
}) {
  const store = useStore();
  const myId = useMyId();
  const who = useChatSelector((state) => names(ids, state.users, myId));
  const mine = ids.includes(myId);
  return (
    <button
      type="button"
      data-testid="reaction"
      aria-pressed={mine}
      disabled={!canAct}
      title={who}
      onClick={() => store.react(messageId, emoji, !mine)}
      className={`rounded-full border px-2 py-0.5 text-xs ${
        mine ? "border-teal-600 bg-teal-50 text-teal-900" : "border-slate-200 bg-white"
      }`}
    >
      {emoji} {ids.length}
    </button>
  );
}
