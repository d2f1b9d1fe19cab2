import {
  type ClipboardEvent,
  type DragEvent,
  type KeyboardEvent,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { ACCEPT_ATTRIBUTE, formatBytes } from "../lib/media";
import { groupMessages, visibleMessages } from "../lib/messages";
import { type ChatState, type ChatStore, isArchived, isMember, otherMember } from "../lib/store";
import { type Conversation, MAX_MESSAGE_LENGTH } from "../lib/types";
import { Avatar, ConversationAvatar } from "./Avatar";
import { GroupInfoDialog } from "./GroupInfoDialog";
import { ArchiveIcon, FileIcon, InfoIcon, PaperclipIcon } from "./Icons";
import { MessageBubble } from "./MessageBubble";
import { MuteMenu } from "./MuteMenu";
import { conversationTitle, lastSeenText } from "./useChat";

interface Props {
  store: ChatStore;
  state: ChatState;
  conversation: Conversation;
  onBack: () => void;
}

export function ConversationView({ store, state, conversation, onBack }: Props) {
  const me = state.session?.user.id ?? "";
  const title = conversationTitle(conversation, state.users, me);
  const stored = state.messages[conversation.id];
  const pending = state.pending[conversation.id] ?? [];
  const draft = state.drafts[conversation.id] ?? "";
  const uploads = state.uploads[conversation.id] ?? [];
  const list = useRef<HTMLDivElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const stickToBottom = useRef(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [showingInfo, setShowingInfo] = useState(false);
  const member = isMember(conversation, me);
  const archived = isArchived(conversation);
  const other = otherMember(conversation, me);
  const otherUser = other ? state.users[other] : undefined;

  useEffect(() => {
    // Shown, and at the newest message: the store marks it read while the window has focus.
    store.viewConversation(conversation.id, true);
    void store.openConversation(conversation.id);
    return () => store.viewConversation(null);
  }, [store, conversation.id]);

  const groups = useMemo(
    () => groupMessages(visibleMessages(stored ?? [], pending, me), me),
    [stored, pending, me],
  );

  // Sticky bottom: follow new messages only when the reader is already at the end.
  useLayoutEffect(() => {
    const element = list.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  });

  async function loadOlder() {
    const element = list.current;
    if (!element || loadingOlder) return;
    setLoadingOlder(true);
    const before = element.scrollHeight;
    try {
      await store.loadOlder(conversation.id);
    } finally {
      setLoadingOlder(false);
    }
    // Keep the reader's place while older messages appear above.
    requestAnimationFrame(() => {
      element.scrollTop += element.scrollHeight - before;
    });
  }

  function onScroll() {
    const element = list.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    if (atBottom !== stickToBottom.current) store.viewConversation(conversation.id, atBottom);
    stickToBottom.current = atBottom;
    if (element.scrollTop < 60 && state.hasOlder[conversation.id]) void loadOlder();
  }

  const uploading = uploads.some((u) => u.status === "uploading");
  const ready = uploads.some((u) => u.status === "done");
  const tooLong = draft.length > MAX_MESSAGE_LENGTH;
  const canSend = member && (draft.trim() !== "" || ready) && !uploading && !tooLong;

  function send() {
    if (!canSend || !store.send(conversation.id, draft)) return;
    store.setDraft(conversation.id, "");
    stickToBottom.current = true;
  }

  function attach(files: FileList | File[] | null) {
    if (member && files && files.length > 0) store.attach(conversation.id, [...files]);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    attach(event.dataTransfer.files);
  }

  function onPaste(event: ClipboardEvent<HTMLTextAreaElement>) {
    const files = [...event.clipboardData.files];
    if (files.length > 0) {
      event.preventDefault(); // a pasted screenshot is an attachment, not text
      attach(files);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  }

  return (
    <section
      aria-label={title}
      className={`relative flex min-h-0 flex-1 flex-col ${dragging ? "ring-4 ring-inset ring-teal-400" : ""}`}
      onDragOver={(event) => {
        if ([...event.dataTransfer.types].includes("Files")) {
          event.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      {dragging && (
        <p className="pointer-events-none absolute inset-x-0 top-16 z-10 text-center text-sm font-medium text-teal-800">
          Drop files to attach them
        </p>
      )}
      <header className="flex items-center gap-3 border-b border-slate-200 p-3">
        <button
          type="button"
          onClick={onBack}
          className="rounded px-2 py-1 hover:bg-slate-100 md:hidden"
          aria-label="Back to conversations"
        >
          ←
        </button>
        <ConversationAvatar conversation={conversation} title={title} users={state.users} myId={me} />
        <div className="min-w-0 flex-1">
          <h2 className="truncate font-semibold">{title}</h2>
          {conversation.type === "group" ? (
            <p className="text-xs text-slate-500">{conversation.memberIds.length} members</p>
          ) : (
            <p data-testid="presence" className="text-xs text-slate-500">
              {otherUser?.online ? "online" : otherUser?.lastSeenAt ? lastSeenText(otherUser.lastSeenAt) : ""}
            </p>
          )}
        </div>
        {member && <MuteMenu store={store} conversation={conversation} />}
        {member && (
          <button
            type="button"
            onClick={() => void store.setArchived(conversation.id, !archived)}
            className={`rounded p-1.5 hover:bg-slate-100 ${archived ? "text-teal-700" : "text-slate-600"}`}
            aria-label={archived ? "Unarchive chat" : "Archive chat"}
            title={
              archived
                ? "Unarchive chat: back in your list"
                : "Archive chat: out of your list until a new message"
            }
          >
            <ArchiveIcon />
          </button>
        )}
        {conversation.type === "group" && (
          <button
            type="button"
            onClick={() => setShowingInfo(true)}
            className="rounded p-1.5 text-slate-600 hover:bg-slate-100"
            aria-label="Group info"
            title="Group info"
          >
            <InfoIcon />
          </button>
        )}
      </header>
      {showingInfo && (
        <GroupInfoDialog
          store={store}
          state={state}
          conversation={conversation}
          onClose={() => setShowingInfo(false)}
        />
      )}
      <div
        ref={list}
        onScroll={onScroll}
        className="min-h-0 flex-1 space-y-3 overflow-y-auto p-4"
        aria-label="Messages"
        role="log"
      >
        {stored === undefined && <p className="text-center text-sm text-slate-500">Loading messages…</p>}
        {state.hasOlder[conversation.id] && (
          <div className="text-center">
            <button
              type="button"
              onClick={() => void loadOlder()}
              className="text-sm text-teal-700 underline"
            >
              {loadingOlder ? "Loading…" : "Load older messages"}
            </button>
          </div>
        )}
        {stored !== undefined && groups.length === 0 && (
          <p className="text-center text-sm text-slate-500">No messages yet. Say hello!</p>
        )}
        {groups.map((group, index) => (
          <section
            key={`${group.day}-${group.items[0]?.id}`}
            className={`flex flex-col ${group.mine ? "items-end" : "items-start"}`}
          >
            {(index === 0 || groups[index - 1]?.day !== group.day) && (
              <p className="w-full py-2 text-center text-xs text-slate-500">{group.day}</p>
            )}
            {!group.mine && conversation.type === "group" && (
              <p className="mb-1 flex items-center gap-1.5 text-xs font-medium text-slate-600">
                <Avatar user={state.users[group.senderId]} size="sm" />
                {state.users[group.senderId]?.displayName ?? "Someone"}
              </p>
            )}
            {group.items.map((item) => (
              <MessageBubble
                key={item.id}
                store={store}
                conversation={conversation}
                users={state.users}
                myId={me}
                item={item}
                mine={group.mine}
                canAct={member}
              />
            ))}
          </section>
        ))}
      </div>
      <form
        className="border-t border-slate-200 p-3"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        {!member && (
          <p data-testid="not-member" className="mb-2 text-center text-sm font-medium text-slate-600">
            You are no longer a member of this group
          </p>
        )}
        <p aria-live="polite" data-testid="typing" className="h-5 text-xs italic text-slate-500">
          {typingLine(
            Object.keys(state.typing[conversation.id] ?? {}).map(
              (id) => state.users[id]?.displayName ?? "Someone",
            ),
          )}
        </p>
        {uploads.length > 0 && (
          <ul aria-label="Attachments" className="mb-2 space-y-1">
            {uploads.map((upload) => (
              <li
                key={upload.id}
                data-testid="upload"
                data-status={upload.status}
                className="flex items-center gap-2 rounded border border-slate-200 px-2 py-1 text-sm"
              >
                {upload.previewUrl ? (
                  <img src={upload.previewUrl} alt="" className="h-8 w-8 rounded object-cover" />
                ) : (
                  <FileIcon />
                )}
                <span className="min-w-0 flex-1">
                  <span className="block truncate">
                    {upload.name} <span className="text-slate-500">{formatBytes(upload.size)}</span>
                  </span>
                  {upload.status === "failed" ? (
                    <span role="alert" className="block text-xs text-red-700">
                      {upload.error}
                    </span>
                  ) : (
                    <progress
                      className="h-1.5 w-full accent-teal-700"
                      max={1}
                      value={upload.progress}
                      aria-label={`Uploading ${upload.name}`}
                    />
                  )}
                </span>
                <button
                  type="button"
                  onClick={() => store.removeUpload(conversation.id, upload.id)}
                  className="rounded px-1.5 text-slate-500 hover:bg-slate-100"
                  aria-label={`Remove ${upload.name}`}
                >
                  ✕
                </button>
              </li>
            ))}
          </ul>
        )}
        <fieldset disabled={!member} className="flex min-w-0 items-end gap-2">
          <input
            ref={fileInput}
            type="file"
            multiple
            accept={ACCEPT_ATTRIBUTE}
            className="hidden"
            aria-label="Attach files"
            onChange={(event) => {
              attach(event.target.files);
              event.target.value = ""; // the same file can be picked again
            }}
          />
          <button
            type="button"
            onClick={() => fileInput.current?.click()}
            className="rounded border border-slate-300 px-3 py-2 hover:bg-slate-100 disabled:opacity-50"
            aria-label="Attach a photo or file"
            title="Attach a photo or file (or drop or paste one)"
          >
            <PaperclipIcon />
          </button>
          <label className="sr-only" htmlFor="composer">
            Message
          </label>
          <textarea
            id="composer"
            rows={2}
            value={draft}
            onChange={(e) => store.setDraft(conversation.id, e.target.value)}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
            placeholder="Write a message. Enter sends, Shift+Enter adds a line."
            aria-invalid={tooLong}
            aria-describedby="composer-count"
            className="min-h-10 flex-1 resize-none rounded border border-slate-300 px-3 py-2 focus:border-teal-600 focus:outline-none disabled:bg-slate-100"
          />
          <button
            type="submit"
            disabled={!canSend}
            className="rounded bg-teal-700 px-4 py-2 font-medium text-white disabled:opacity-50"
          >
            Send
          </button>
        </fieldset>
        <p
          id="composer-count"
          className={`mt-1 text-right text-xs ${tooLong ? "text-red-700" : "text-slate-500"}`}
        >
          {tooLong
            ? `${draft.length - MAX_MESSAGE_LENGTH} characters over the ${MAX_MESSAGE_LENGTH.toLocaleString()} limit`
            : `${draft.length.toLocaleString()} / ${MAX_MESSAGE_LENGTH.toLocaleString()}`}
        </p>
      </form>
    </section>
  );
}

function typingLine(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
