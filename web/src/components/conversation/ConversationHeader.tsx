import { useEffect, useRef, useState } from "react";
import { isArchived, isBlocked, isMember, otherMember } from "../../lib/store";
import type { Conversation } from "../../lib/types";
import { ConversationAvatar } from "../Avatar";
import { BlockConfirm } from "../BlockConfirm";
import { Button } from "../Button";
import { GroupInfoDialog } from "../GroupInfoDialog";
import { ArchiveIcon, InfoIcon, SearchIcon } from "../Icons";
import { MessageSearchBox, MessageSearchResults } from "../MessageSearch";
import { MuteMenu } from "../MuteMenu";
import { moveInMenu } from "../menu";
import {
  lastSeenText,
  useChatSelector,
  useConversation,
  useConversationTitle,
  useDisplayName,
  useMyId,
  useStore,
} from "../useChat";

/**
 * Who the conversation is with (and whether they are online), and its tools: search in it, mute,
 * archive, group info, and in a direct chat blocking the other person.
 */
export function ConversationHeader({
  conversationId,
  onBack,
}: {
  conversationId: string;
  onBack: () => void;
}) {
  const conversation = useConversation(conversationId);
  return conversation ? <Header conversation={conversation} onBack={onBack} /> : null;
}

function Header({ conversation, onBack }: { conversation: Conversation; onBack: () => void }) {
  const store = useStore();
  const me = useMyId();
  const title = useConversationTitle(conversation);
  const [showingInfo, setShowingInfo] = useState(false);
  const [searching, setSearching] = useState(false);
  const searchButton = useRef<HTMLButtonElement>(null);
  const member = isMember(conversation, me);
  const archived = isArchived(conversation);
  const other = otherMember(conversation, me);
  function closeSearch() {
    setSearching(false);
    searchButton.current?.focus();
  }
  return (
    <>
      <header className="flex items-center gap-3 border-b border-slate-200 p-3">
        <Button
          variant="ghost"
          size="xs"
          onClick={onBack}
          className="md:hidden"
          aria-label="Back to conversations"
        >
          ←
        </Button>
        <ConversationAvatar conversation={conversation} title={title} />
        <div className="min-w-0 flex-1">
          <h2 className="truncate font-semibold">{title}</h2>
          {conversation.type === "group" ? (
            <p className="text-xs text-slate-500">{conversation.memberIds.length} members</p>
          ) : (
            <Presence userId={other} />
          )}
        </div>
        <Button
          ref={searchButton}
          variant="icon"
          onClick={() => (searching ? closeSearch() : setSearching(true))}
          className={searching ? "text-teal-700" : "text-slate-600"}
          aria-label="Search in this chat"
          aria-expanded={searching}
          title="Search in this chat"
        >
          <SearchIcon />
        </Button>
        {member && <MuteMenu conversation={conversation} />}
        {member && (
          <Button
            variant="icon"
            onClick={() => void store.setArchived(conversation.id, !archived)}
            className={archived ? "text-teal-700" : "text-slate-600"}
            aria-label={archived ? "Unarchive chat" : "Archive chat"}
            title={
              archived
                ? "Unarchive chat: back in your list"
                : "Archive chat: out of your list until a new message"
            }
          >
            <ArchiveIcon />
          </Button>
        )}
        {conversation.type === "group" && (
          <Button
            variant="icon"
            onClick={() => setShowingInfo(true)}
            className="text-slate-600"
            aria-label="Group info"
            title="Group info"
          >
            <InfoIcon />
          </Button>
        )}
        {other && <ContactMenu userId={other} />}
        {showingInfo && <GroupInfoDialog conversation={conversation} onClose={() => setShowingInfo(false)} />}
      </header>
      {searching && <ChatSearch conversationId={conversation.id} onClose={closeSearch} />}
    </>
  );
}

/** Searching this conversation, under its header; a result chosen is shown in the list. */
function ChatSearch({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const store = useStore();
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: Escape anywhere in the panel closes it
    <div
      className="flex max-h-[60%] flex-col border-b border-slate-200 bg-slate-50"
      onKeyDown={(event) => {
        if (event.key === "Escape") onClose();
      }}
    >
      <div className="p-2">
        <MessageSearchBox conversationId={conversationId} label="Search in this chat" autoFocus />
      </div>
      <MessageSearchResults
        conversationId={conversationId}
        onClose={onClose}
        onChoose={(message) => {
          onClose();
          void store.jumpTo(conversationId, message.id, message.seq);
        }}
      />
    </div>
  );
}

/** A direct chat's menu: block the other person (after a confirm step), or unblock them. */
function ContactMenu({ userId }: { userId: string }) {
  const store = useStore();
  const name = useDisplayName(userId, "this user");
  const blocked = useChatSelector((state) => isBlocked(state.blocked, userId));
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (open) menu.current?.querySelector("button")?.focus();
  }, [open]);

  function close() {
    setOpen(false);
    button.current?.focus();
  }

  return (
    <div className="relative">
      <Button
        ref={button}
        variant="icon"
        onClick={() => setOpen(!open)}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="More options"
        title="More options"
        className="px-2.5 text-slate-600"
      >
        ⋯
      </Button>
      {open && (
        <div
          ref={menu}
          role="menu"
          aria-label="More options"
          onKeyDown={(event) => {
            if (event.key === "Escape") close();
            else moveInMenu(event);
          }}
          onBlur={(event) => {
            const to = event.relatedTarget as Node | null;
            if (!event.currentTarget.contains(to) && to !== button.current) setOpen(false);
          }}
          className="absolute right-0 top-full z-10 mt-1 flex w-48 flex-col rounded bg-white py-1 text-sm shadow-lg"
        >
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              close();
              if (blocked) void store.unblock(userId);
              else setConfirming(true);
            }}
            className={`px-4 py-1.5 text-left hover:bg-slate-100 ${blocked ? "" : "text-red-700"}`}
          >
            {blocked ? `Unblock ${name}` : `Block ${name}`}
          </button>
        </div>
      )}
      {confirming && (
        <BlockConfirm
          name={name}
          onConfirm={() => {
            setConfirming(false);
            void store.block(userId);
          }}
          onCancel={() => setConfirming(false)}
        />
      )}
    </div>
  );
}

/** "online", or when the other person was last seen. */
function Presence({ userId }: { userId: string | null | undefined }) {
  const text = useChatSelector((state) => {
    const user = userId ? state.users[userId] : undefined;
    return user?.online ? "online" : user?.lastSeenAt ? lastSeenText(user.lastSeenAt) : "";
  });
  return (
    <p data-testid="presence" className="text-xs text-slate-500">
      {text}
    </p>
  );
}
