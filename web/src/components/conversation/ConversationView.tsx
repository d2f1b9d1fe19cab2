import { type DragEvent, useCallback, useEffect, useState } from "react";
import { isBlocked, isMember, otherMember } from "../../lib/store";
import { Button } from "../Button";
import { composerBox } from "../focus";
import { conversationTitle, useChatSelector, useDisplayName, useMyId, useStore } from "../useChat";
import { Composer } from "./Composer";
import { ConversationHeader } from "./ConversationHeader";
import { MessageList } from "./MessageList";

interface Props {
  conversationId: string;
  onBack: () => void;
}

/**
 * An open conversation: header, messages, composer. Files dropped anywhere on it are attached. It
 * reads only what it lays out (title, membership); each part asks the store for what it shows.
 */
export function ConversationView({ conversationId, onBack }: Props) {
  const store = useStore();
  const me = useMyId();
  const title = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === conversationId);
    return conversation ? conversationTitle(conversation, state.users, me) : "";
  });
  const member = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === conversationId);
    return !!conversation && isMember(conversation, me);
  });
  const isGroup = useChatSelector(
    (state) => state.conversations.find((c) => c.id === conversationId)?.type === "group",
  );
  // A direct chat with someone this user blocked: no composer, but the way to unblock them.
  const blockedId = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === conversationId);
    const other = conversation && otherMember(conversation, me);
    return other && isBlocked(state.blocked, other) ? other : null;
  });
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    void store.openConversation(conversationId);
  }, [store, conversationId]);

  const attach = useCallback(
    (files: FileList | File[] | null) => {
      if (member && !blockedId && files && files.length > 0) store.attach(conversationId, [...files]);
    },
    [store, conversationId, member, blockedId],
  );

  function onDrop(event: DragEvent<HTMLElement>) {
    event.preventDefault();
    setDragging(false);
    attach(event.dataTransfer.files);
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
      <ConversationHeader conversationId={conversationId} onBack={onBack} />
      <MessageList conversationId={conversationId} isGroup={isGroup} member={member} />
      {blockedId ? (
        <BlockedBar userId={blockedId} />
      ) : (
        <Composer key={conversationId} conversationId={conversationId} member={member} attach={attach} />
      )}
    </section>
  );
}

/** In place of the composer in a direct chat with someone this user blocked. */
function BlockedBar({ userId }: { userId: string }) {
  const store = useStore();
  const name = useDisplayName(userId, "this user");
  return (
    <div className="flex items-center justify-center gap-3 border-t border-slate-200 p-3">
      <p data-testid="blocked-composer" className="text-sm font-medium text-slate-600">
        You blocked this user
      </p>
      <Button
        size="sm"
        aria-label={`Unblock ${name}`}
        onClick={async () => {
          // The composer comes back in place of this bar: focus goes to its Message box.
          if (await store.unblock(userId)) setTimeout(() => composerBox()?.focus(), 0);
        }}
      >
        Unblock
      </Button>
    </div>
  );
}
