import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { mentions } from "../../lib/mentions";
import { Attachments } from "../Attachments";
import { Button } from "../Button";
import { ConfirmDialog } from "../ConfirmDialog";
import { useKeepRowMounted } from "../conversation/pinnedRows";
import type { MessageItem } from "../conversation/rows";
import { composerBox } from "../focus";
import { formatTime, useMyId, useStore } from "../useChat";
import { MessageEditor } from "./MessageEditor";
import { MessageText } from "./MessageText";
import { MessageTools } from "./MessageTools";
import { Quote } from "./Quote";
import { Reactions } from "./Reactions";
import { ReceiptTicks } from "./ReceiptTicks";

interface Props {
  conversationId: string;
  isGroup: boolean;
  item: MessageItem;
  mine: boolean;
  /** False once this user left or was removed: the conversation is read-only. */
  canAct: boolean;
  /** Not 0 while the message is shown as the one jumped to (a quote or a search result was clicked). */
  highlight?: number;
}

/**
 * One message: the message it quotes, its text (or editor, or tombstone), files, time and ticks,
 * reactions, and its tools. A message naming me stands out, as does one just jumped to.
 */
export function MessageBubble({ conversationId, isGroup, item, mine, canAct, highlight = 0 }: Props) {
  const store = useStore();
  const me = useMyId();
  const [editing, setEditing] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const message = item.message;
  const deleted = !!message?.deletedAt;
  const mentionsMe = !mine && !deleted && !!message && mentions(message, me);
  // An edit being written or a deletion being confirmed stays open when the row scrolls out of view.
  useKeepRowMounted(editing || confirmingDelete || highlight !== 0);

  // Jumped to: focus goes to the message (the list has scrolled it into view), so the keyboard is there.
  const bubble = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (highlight) bubble.current?.focus({ preventScroll: true });
  }, [highlight]);

  // Deleted from here: its tools go when the deletion arrives, and focus, were it on them, with them.
  const deleting = useRef(false);
  useLayoutEffect(() => {
    if (!deleted || !deleting.current) return;
    deleting.current = false;
    if (!document.activeElement || document.activeElement === document.body) composerBox()?.focus();
  }, [deleted]);

  return (
    <div
      data-testid="message-row"
      className={`group mb-1 flex max-w-[80%] flex-col ${mine ? "items-end" : "items-start"}`}
    >
      <div className={`flex min-w-0 max-w-full items-center gap-1 ${mine ? "flex-row-reverse" : ""}`}>
        <div
          ref={bubble}
          tabIndex={-1}
          data-testid="message"
          data-status={item.status}
          data-mentions-me={mentionsMe || undefined}
          data-highlighted={highlight ? true : undefined}
          className={`min-w-0 whitespace-pre-wrap break-words rounded-2xl px-3 py-2 outline-none ${
            mine
              ? "bg-teal-700 text-white"
              : mentionsMe
                ? "border-l-4 border-amber-400 bg-amber-50 shadow-sm"
                : "bg-white shadow-sm"
          } ${item.status === "failed" ? "opacity-70 ring-2 ring-red-400" : ""} ${
            highlight ? "ring-4 ring-amber-400" : ""
          }`}
        >
          {item.replyTo && !deleted && (
            <Quote quote={item.replyTo} conversationId={conversationId} mine={mine} />
          )}
          {deleted ? (
            <span
              data-testid="message-deleted"
              className={`italic ${mine ? "text-teal-100" : "text-slate-500"}`}
            >
              This message was deleted
            </span>
          ) : editing && message ? (
            <MessageEditor
              message={message}
              onSave={(text) => {
                if (text !== message.text) store.editMessage(message.id, text);
                setEditing(false);
              }}
              onCancel={() => setEditing(false)}
            />
          ) : (
            item.text && (
              <MessageText text={item.text} mentions={isGroup ? message?.mentions : undefined} mine={mine} />
            )
          )}
          {!deleted && (
            <Attachments
              attachments={item.attachments}
              mine={mine}
              onBrokenLink={() => void store.refreshLinks(conversationId)}
            />
          )}
          <span
            className={`mt-1 flex items-center justify-end gap-1 text-[10px] ${mine ? "text-teal-100" : "text-slate-500"}`}
          >
            {message?.editedAt && !deleted && <span>(edited)</span>}
            {formatTime(item.createdAt)}
            {mine && !deleted && item.status === "failed" && <span>· Not sent</span>}
            {mine && !deleted && item.status === "waiting" && <span>· Waiting to send</span>}
            {mine && !deleted && item.status !== "failed" && item.status !== "waiting" && (
              <ReceiptTicks conversationId={conversationId} isGroup={isGroup} message={message} />
            )}
          </span>
          {item.status === "failed" && (
            <Button
              variant="link"
              onClick={() => store.retry(conversationId, item.clientMsgId)}
              className="mt-1 text-xs font-medium"
            >
              Retry
            </Button>
          )}
        </div>
        {message && !deleted && canAct && !editing && (
          <MessageTools
            message={message}
            mine={mine}
            onReply={() => store.replyTo(message)}
            onEdit={() => setEditing(true)}
            onDelete={() => setConfirmingDelete(true)}
          />
        )}
      </div>
      {message && !deleted && <Reactions message={message} canAct={canAct} />}
      {confirmingDelete && message && (
        <ConfirmDialog
          title="Delete message?"
          confirm="Delete"
          onConfirm={() => {
            deleting.current = true;
            store.deleteMessage(message.id);
            setConfirmingDelete(false);
          }}
          onCancel={() => setConfirmingDelete(false)}
        >
          It is deleted for everyone in the conversation.
        </ConfirmDialog>
      )}
    </div>
  );
}
