import { memo, useState } from "react";
import { isArchived, isMuted } from "../lib/store";
import type { Conversation, Message } from "../lib/types";
import { Avatar, ConversationAvatar } from "./Avatar";
import { Button } from "./Button";
import { composerBox } from "./focus";
import { ArchiveIcon, MutedIcon } from "./Icons";
import { MessageSearchBox, MessageSearchResults } from "./MessageSearch";
import { NewGroupDialog } from "./NewGroupDialog";
import { PeopleSearchField, usePeopleSearch } from "./PeopleSearch";
import { ProfileDialog } from "./ProfileDialog";
import { formatTime, useChatSelector, useConversationTitle, useStore } from "./useChat";

interface Props {
  openId: string | null;
  onOpen: (id: string) => void;
}

/**
 * Who I am, finding people and messages, and the conversations (or the archived ones), newest first;
 * while a search of every chat is shown, its results in their place.
 */
export function Sidebar({ openId, onOpen }: Props) {
  const store = useStore();
  const [query, setQuery] = useState("");
  const [creatingGroup, setCreatingGroup] = useState(false);
  const [editingProfile, setEditingProfile] = useState(false);
  const [showingArchived, setShowingArchived] = useState(false);
  const { results, error } = usePeopleSearch(query);
  const me = useChatSelector((state) => state.session?.user);
  const conversations = useChatSelector((state) => state.conversations);
  const searching = useChatSelector((state) => state.search?.conversationId === null);
  if (!me) return null;

  async function startChat(userId: string) {
    const id = await store.openDirect(userId);
    if (id) {
      setQuery("");
      onOpen(id);
      // The result clicked goes with the search: the keyboard goes on to the chat's Message box.
      setTimeout(() => composerBox()?.focus(), 0);
    }
  }

  return (
    <>
      <header className="flex items-center justify-between gap-2 border-b border-slate-200 p-3">
        <button
          type="button"
          onClick={() => setEditingProfile(true)}
          className="flex min-w-0 items-center gap-2 rounded p-1 text-left hover:bg-slate-100"
          aria-label="Edit your profile"
        >
          <Avatar user={me} />
          <span className="min-w-0">
            <span className="block truncate font-semibold">{me.displayName}</span>
            <span className="block truncate text-xs text-slate-500">@{me.username}</span>
          </span>
        </button>
        <div className="flex gap-2">
          <Button variant="primary" size="sm" onClick={() => setCreatingGroup(true)}>
            New group
          </Button>
          <Button size="sm" onClick={() => void store.logOut()}>
            Log out
          </Button>
        </div>
      </header>
      <div className="border-b border-slate-200 p-3">
        <PeopleSearchField label="Search people" query={query} onChange={setQuery} compact />
        {error && <p className="mt-2 text-sm text-red-700">{error}</p>}
        {query.trim() && (
          <ul aria-label="People" className="mt-2 max-h-60 overflow-y-auto">
            {results.length === 0 && (
              <li className="p-2 text-sm text-slate-500">No one matches “{query.trim()}”.</li>
            )}
            {results.map((user) => (
              <li key={user.id}>
                <button
                  type="button"
                  onClick={() => void startChat(user.id)}
                  className="w-full rounded px-2 py-1.5 text-left text-sm hover:bg-slate-100"
                  aria-label={`Chat with ${user.displayName}`}
                >
                  <span className="flex items-center gap-2">
                    <Avatar user={user} size="sm" />
                    <span>
                      <span className="font-medium">{user.displayName}</span>{" "}
                      <span className="text-slate-500">@{user.username}</span>
                    </span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="mt-2">
          <MessageSearchBox conversationId={null} label="Search messages" compact />
        </div>
      </div>
      {searching ? (
        <MessageSearchResults
          conversationId={null}
          onChoose={(message) => {
            onOpen(message.conversationId);
            void store.jumpTo(message.conversationId, message.id, message.seq);
          }}
        />
      ) : (
        <ConversationList
          conversations={conversations}
          showingArchived={showingArchived}
          setShowingArchived={setShowingArchived}
          openId={openId}
          onOpen={onOpen}
        />
      )}
      {editingProfile && <ProfileDialog onClose={() => setEditingProfile(false)} />}
      {creatingGroup && (
        <NewGroupDialog
          onClose={() => setCreatingGroup(false)}
          onCreated={(id) => {
            setCreatingGroup(false);
            onOpen(id);
          }}
        />
      )}
    </>
  );
}

/** The conversations, or the archived ones, newest first. */
function ConversationList({
  conversations,
  showingArchived,
  setShowingArchived,
  openId,
  onOpen,
}: {
  conversations: Conversation[];
  showingArchived: boolean;
  setShowingArchived: (showing: boolean) => void;
  openId: string | null;
  onOpen: (id: string) => void;
}) {
  const archived = conversations.filter(isArchived);
  const shown = showingArchived ? archived : conversations.filter((c) => !isArchived(c));
  return (
    <>
      {showingArchived ? (
        <div className="flex items-center gap-2 border-b border-slate-200 px-3 py-2">
          <Button
            variant="ghost"
            size="xs"
            onClick={() => setShowingArchived(false)}
            aria-label="Back to chats"
          >
            ←
          </Button>
          <h2 className="font-semibold">Archived</h2>
        </div>
      ) : (
        archived.length > 0 && (
          <button
            type="button"
            onClick={() => setShowingArchived(true)}
            className="flex w-full items-center gap-3 border-b border-slate-200 px-3 py-2 text-left text-sm font-medium text-slate-700 hover:bg-slate-100"
          >
            <ArchiveIcon />
            Archived ({archived.length})
          </button>
        )
      )}
      <nav
        aria-label={showingArchived ? "Archived conversations" : "Conversations"}
        className="min-h-0 flex-1 overflow-y-auto"
      >
        {shown.length === 0 && (
          <p className="p-4 text-sm text-slate-500">
            {showingArchived
              ? "No archived chats. A chat you archive shows here until a new message comes."
              : "No conversations yet. Search for someone above to say hello."}
          </p>
        )}
        <ul>
          {shown.map((conversation) => (
            <ConversationItem
              key={conversation.id}
              conversation={conversation}
              open={conversation.id === openId}
              onOpen={onOpen}
            />
          ))}
        </ul>
      </nav>
    </>
  );
}

interface ItemProps {
  conversation: Conversation;
  open: boolean;
  onOpen: (id: string) => void;
}

/** One conversation in the list; it re-renders when that conversation (or a name it shows) changes. */
const ConversationItem = memo(function ConversationItem({ conversation, open, onOpen }: ItemProps) {
  const title = useConversationTitle(conversation);
  const last = conversation.lastMessage;
  const unread = conversation.unreadCount ?? 0;
  const mentioned = conversation.mentionCount ?? 0;
  const muted = isMuted(conversation);
  return (
    <li>
      <button
        type="button"
        onClick={() => onOpen(conversation.id)}
        aria-current={open ? "page" : undefined}
        aria-label={`Open ${title}${muted ? ", muted" : ""}${unread ? `, ${unread} unread` : ""}${
          mentioned ? `, ${mentioned} mentioning you` : ""
        }`}
        className={`flex w-full items-center gap-3 border-b border-slate-100 px-3 py-2 text-left hover:bg-slate-100 ${
          open ? "bg-teal-50" : ""
        }`}
      >
        <ConversationAvatar conversation={conversation} title={title} />
        <span className="min-w-0 flex-1">
          <span className="flex items-baseline justify-between gap-2">
            <span className="flex min-w-0 items-center gap-1">
              <span className={`truncate ${unread ? "font-bold" : "font-medium"}`}>{title}</span>
              {muted && (
                <span data-testid="muted-icon" title="Muted" className="text-slate-400">
                  <MutedIcon small />
                </span>
              )}
            </span>
            {last && <span className="shrink-0 text-xs text-slate-500">{formatTime(last.createdAt)}</span>}
          </span>
          <span className="flex items-center justify-between gap-2">
            <span
              className={`truncate text-sm ${unread ? "font-semibold text-slate-900" : "text-slate-600"}`}
            >
              {last ? preview(last) : conversation.type === "group" ? "New group" : "No messages yet"}
            </span>
            {mentioned > 0 && (
              <span
                role="img"
                data-testid="mention-badge"
                aria-label={`${mentioned} mentioning you`}
                title="Messages mentioning you"
                className="shrink-0 rounded-full bg-amber-100 px-1.5 text-xs font-semibold leading-5 text-amber-900"
              >
                @{mentioned > 99 ? "99+" : mentioned}
              </span>
            )}
            {unread > 0 && (
              <span
                role="img"
                data-testid="unread-badge"
                aria-label={`${unread} unread`}
                // A muted chat's count is grey: there, but not calling for attention.
                className={`min-w-5 shrink-0 rounded-full ${muted ? "bg-slate-400" : "bg-teal-700"} px-1.5 text-center text-xs font-semibold leading-5 text-white`}
              >
                {unread > 99 ? "99+" : unread}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
});

/** A conversation's last message in one line; a message of only files names them. */
function preview(message: Message): string {
  if (message.deletedAt) return "This message was deleted";
  if (message.text.trim()) return message.text;
  const files = message.attachments ?? [];
  const first = files[0];
  if (!first) return "";
  const what = first.contentType.startsWith("image/") ? "Photo" : first.name;
  return files.length > 1 ? `${what} and ${files.length - 1} more` : what;
}
