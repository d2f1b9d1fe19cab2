import { useState } from "react";
import { readBy, receiptStatus } from "../../lib/messages";
import type { Message } from "../../lib/types";
import { ClockIcon, DoubleTickIcon, TickIcon } from "../Icons";
import { useChatSelector, useMyId } from "../useChat";
import { names } from "./names";

const TICKS = {
  sending: { label: "Sending…", icon: <ClockIcon /> },
  sent: { label: "Sent", icon: <TickIcon /> },
  delivered: { label: "Delivered", icon: <DoubleTickIcon /> },
  read: { label: "Read", icon: <DoubleTickIcon /> },
} as const;

/**
 * How far one of my messages has got. In a group a tap (or hover) says who has read it. It reads
 * only its own answer from the receipts, so a receipt re-renders the ticks that change, not the list.
 */
export function ReceiptTicks({
  conversationId,
  isGroup,
  message,
}: {
  conversationId: string;
  isGroup: boolean;
  /** Null while it is still being sent. */
  message: Message | null;
}) {
  const myId = useMyId();
  const [open, setOpen] = useState(false);
  const status = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === conversationId);
    return message && conversation ? receiptStatus(message, conversation, myId) : "sending";
  });
  const line = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === conversationId);
    if (!message || !conversation || !isGroup) return "";
    const readers = readBy(message, conversation, myId);
    return readers.length ? `Read by ${names(readers, state.users, myId)}` : "Not read yet";
  });
  const { label, icon } = TICKS[status];
  const colour = status === "read" ? "text-sky-300" : "";
  if (!message || !isGroup) {
    return (
      <span
        role="img"
        data-testid="receipt"
        data-receipt={status}
        aria-label={label}
        title={label}
        className={colour}
      >
        {icon}
      </span>
    );
  }
  return (
    <>
      <button
        type="button"
        data-testid="receipt"
        data-receipt={status}
        aria-label={label}
        aria-expanded={open}
        title={line}
        onClick={() => setOpen(!open)}
        className={colour}
      >
        {icon}
      </button>
      {open && <span data-testid="read-by">{line}</span>}
    </>
  );
}
