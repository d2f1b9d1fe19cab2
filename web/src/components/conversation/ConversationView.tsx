import { type DragEvent, useCallback, useEffect, useState } from "react";
import { isMember } from "../../lib/store";
import { conversationTitle, useChatSelector, useMyId, useStore } from "../useChat";
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
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    void store.openConversation(conversationId);
  }, [store, conversationId]);

  const attach = useCallback(
    (files: FileList | File[] | null) => {
      if (member && files && files.length > 0) store.attach(conversationId, [...files]);
    },
    [store, conversationId, member],
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
      <Composer key={conversationId} conversationId={conversationId} member={member} attach={attach} />
    </section>
  );
}
