import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { type MessageGroup, readBy, receiptStatus } from "../lib/messages";
import type { ChatState, ChatStore } from "../lib/store";
import { type Conversation, MAX_MESSAGE_LENGTH, type Message, REACTIONS } from "../lib/types";
import { Attachments } from "./Attachments";
import { Dialog } from "./Dialog";
import { ClockIcon, DoubleTickIcon, TickIcon } from "./Icons";
import { moveInMenu } from "./menu";
import { formatTime } from "./useChat";

type Item = MessageGroup["items"][number];

interface Props {
  store: ChatStore;
  conversation: Conversation;
  users: ChatState["users"];
  myId: string;
  item: Item;
  mine: boolean;
  /** False once this user left or was removed: the conversation is read-only. */
  canAct: boolean;
}

function names(ids: readonly string[], users: ChatState["users"], myId: string): string {
  return ids.map((id) => (id === myId ? "You" : (users[id]?.displayName ?? "Someone"))).join(", ");
}

/** One message: its text (or editor, or tombstone), files, time and ticks, reactions, and its actions. */
export function MessageBubble({ store, conversation, users, myId, item, mine, canAct }: Props) {
  const [menu, setMenu] = useState<"actions" | "react" | null>(null);
  const [editing, setEditing] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const actions = useRef<HTMLDivElement>(null);
  const message = item.message;

  // A menu opens with its first item focused; arrow keys move between the items.
  useEffect(() => {
    if (menu === "actions") actions.current?.querySelector("button")?.focus();
  }, [menu]);
  const deleted = !!message?.deletedAt;
  const reactions =
    message && !deleted ? Object.entries(message.reactions).filter(([, ids]) => ids.length) : [];

  return (
    <div
      data-testid="message-row"
      className={`group mb-1 flex max-w-[80%] flex-col ${mine ? "items-end" : "items-start"}`}
    >
      <div className={`flex min-w-0 max-w-full items-center gap-1 ${mine ? "flex-row-reverse" : ""}`}>
        <div
          data-testid="message"
          data-status={item.status}
          className={`min-w-0 whitespace-pre-wrap break-words rounded-2xl px-3 py-2 ${
            mine ? "bg-teal-700 text-white" : "bg-white shadow-sm"
          } ${item.status === "failed" ? "opacity-70 ring-2 ring-red-400" : ""}`}
        >
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
            item.text && <span data-testid="message-text">{item.text}</span>
          )}
          {!deleted && (
            <Attachments
              attachments={item.attachments}
              mine={mine}
              onBrokenLink={() => void store.refreshLinks(conversation.id)}
            />
          )}
          <span
            className={`mt-1 flex items-center justify-end gap-1 text-[10px] ${mine ? "text-teal-100" : "text-slate-400"}`}
          >
            {message?.editedAt && !deleted && <span>(edited)</span>}
            {formatTime(item.createdAt)}
            {mine && !deleted && item.status === "failed" && <span>· Not sent</span>}
            {mine && !deleted && item.status === "waiting" && <span>· Waiting to send</span>}
            {mine && !deleted && item.status !== "failed" && item.status !== "waiting" && (
              <ReceiptTicks conversation={conversation} message={message} users={users} myId={myId} />
            )}
          </span>
          {item.status === "failed" && (
            <button
              type="button"
              onClick={() => store.retry(conversation.id, item.clientMsgId)}
              className="mt-1 text-xs font-medium underline"
            >
              Retry
            </button>
          )}
        </div>
        {message && !deleted && canAct && !editing && (
          <div
            role="toolbar"
            aria-label="Message tools"
            className={`relative flex shrink-0 group-focus-within:opacity-100 group-hover:opacity-100 pointer-coarse:opacity-100 ${
              menu ? "opacity-100" : "opacity-0"
            }`}
            onKeyDown={(e) => e.key === "Escape" && setMenu(null)}
            onBlur={(e) => {
              if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setMenu(null);
            }}
          >
            <button
              type="button"
              aria-label="React"
              aria-expanded={menu === "react"}
              onClick={() => setMenu(menu === "react" ? null : "react")}
              className="rounded-full px-1.5 py-0.5 text-slate-500 hover:bg-slate-200"
            >
              ☺
            </button>
            {mine && (
              <button
                type="button"
                aria-label="Message actions"
                aria-expanded={menu === "actions"}
                onClick={() => setMenu(menu === "actions" ? null : "actions")}
                className="rounded-full px-1.5 py-0.5 text-slate-500 hover:bg-slate-200"
              >
                ⋯
              </button>
            )}
            {menu === "react" && (
              <div
                className={`absolute bottom-full z-10 mb-1 flex rounded-full bg-white p-1 shadow-lg ${mine ? "right-0" : "left-0"}`}
              >
                {REACTIONS.map((emoji) => {
                  const on = !(message.reactions[emoji] ?? []).includes(myId);
                  return (
                    <button
                      key={emoji}
                      type="button"
                      aria-label={on ? `React with ${emoji}` : `Remove ${emoji}`}
                      onClick={() => {
                        store.react(message.id, emoji, on);
                        setMenu(null);
                      }}
                      className="rounded-full px-1.5 text-lg hover:bg-slate-100"
                    >
                      {emoji}
                    </button>
                  );
                })}
              </div>
            )}
            {menu === "actions" && (
              <div
                ref={actions}
                role="menu"
                onKeyDown={moveInMenu}
                className="absolute bottom-full right-0 z-10 mb-1 flex flex-col rounded bg-white py-1 text-sm shadow-lg"
              >
                <button
                  type="button"
                  role="menuitem"
                  onClick={() => {
                    setEditing(true);
                    setMenu(null);
                  }}
                  className="px-4 py-1 text-left hover:bg-slate-100"
                >
                  Edit
                </button>
                <button
                  type="button"
                  role="menuitem"
                  onClick={() => {
                    setConfirmingDelete(true);
                    setMenu(null);
                  }}
                  className="px-4 py-1 text-left text-red-700 hover:bg-slate-100"
                >
                  Delete
                </button>
              </div>
            )}
          </div>
        )}
      </div>
      {message && reactions.length > 0 && (
        <ul aria-label="Reactions" className="mt-0.5 flex flex-wrap gap-1">
          {reactions.map(([emoji, ids]) => {
            const chosen = ids.includes(myId);
            return (
              <li key={emoji}>
                <button
                  type="button"
                  data-testid="reaction"
                  aria-pressed={chosen}
                  disabled={!canAct}
                  title={names(ids, users, myId)}
                  onClick={() => store.react(message.id, emoji, !chosen)}
                  className={`rounded-full border px-2 py-0.5 text-xs ${
                    chosen ? "border-teal-600 bg-teal-50 text-teal-900" : "border-slate-200 bg-white"
                  }`}
                >
                  {emoji} {ids.length}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {confirmingDelete && message && (
        <Dialog label="Delete message" onClose={() => setConfirmingDelete(false)} size="sm">
          <div className="space-y-4">
            <h2 className="text-lg font-semibold">Delete this message?</h2>
            <p className="text-sm text-slate-600">It is deleted for everyone in the conversation.</p>
            <div className="flex justify-end gap-2">
              <button
                type="button"
                onClick={() => setConfirmingDelete(false)}
                className="rounded border border-slate-300 px-4 py-2"
              >
                Cancel
              </button>
              <button
                type="button"
                onClick={() => {
                  store.deleteMessage(message.id);
                  setConfirmingDelete(false);
                }}
                className="rounded bg-red-700 px-4 py-2 font-medium text-white"
              >
                Delete
              </button>
            </div>
          </div>
        </Dialog>
      )}
    </div>
  );
}

const TICKS = {
  sending: { label: "Sending…", icon: <ClockIcon /> },
  sent: { label: "Sent", icon: <TickIcon /> },
  delivered: { label: "Delivered", icon: <DoubleTickIcon /> },
  read: { label: "Read", icon: <DoubleTickIcon /> },
} as const;

/** How far one of my messages has got. In a group a tap (or hover) says who has read it. */
function ReceiptTicks({
  conversation,
  message,
  users,
  myId,
}: {
  conversation: Conversation;
  message: Message | null;
  users: ChatState["users"];
  myId: string;
}) {
  const [open, setOpen] = useState(false);
  const status = message ? receiptStatus(message, conversation, myId) : "sending";
  const { label, icon } = TICKS[status];
  const colour = status === "read" ? "text-sky-300" : "";
  if (!message || conversation.type !== "group") {
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
  const readers = readBy(message, conversation, myId);
  const line = readers.length ? `Read by ${names(readers, users, myId)}` : "Not read yet";
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

/** Edits a message in place: Enter saves, Shift+Enter adds a line, Escape cancels. */
function MessageEditor({
  message,
  onSave,
  onCancel,
}: {
  message: Message;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(message.text);
  const field = useRef<HTMLTextAreaElement>(null);
  const empty = !text.trim() && (message.attachments ?? []).length === 0;
  const valid = !empty && text.length <= MAX_MESSAGE_LENGTH;

  useEffect(() => {
    const element = field.current;
    element?.focus();
    element?.setSelectionRange(element.value.length, element.value.length);
  }, []);

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    } else if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (valid) onSave(text);
    }
  }

  return (
    <span className="block min-w-48">
      <textarea
        ref={field}
        aria-label="Edit message"
        value={text}
        rows={Math.min(6, text.split("\n").length + 1)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={!valid}
        className="w-full resize-none rounded border border-slate-300 bg-white px-2 py-1 text-slate-900 focus:border-teal-600 focus:outline-none"
      />
      <span className="mt-1 flex justify-end gap-2 text-xs">
        <button type="button" onClick={onCancel} className="rounded px-2 py-1 underline">
          Cancel
        </button>
        <button
          type="button"
          disabled={!valid}
          onClick={() => onSave(text)}
          className="rounded bg-white px-2 py-1 font-medium text-teal-800 disabled:opacity-50"
        >
          Save
        </button>
      </span>
    </span>
  );
}
