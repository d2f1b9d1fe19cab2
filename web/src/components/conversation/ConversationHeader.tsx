import { useState } from "react";
import { isArchived, isMember, otherMember } from "../../lib/store";
import type { Conversation } from "../../lib/types";
import { ConversationAvatar } from "../Avatar";
import { Button } from "../Button";
import { GroupInfoDialog } from "../GroupInfoDialog";
import { ArchiveIcon, InfoIcon } from "../Icons";
import { MuteMenu } from "../MuteMenu";
import {
  lastSeenText,
  useChatSelector,
  useConversation,
  useConversationTitle,
  useMyId,
  useStore,
} from "../useChat";

/** Who the conversation is with (and whether they are online), and its tools: mute, archive, group info. */
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
  const member = isMember(conversation, me);
  const archived = isArchived(conversation);
  return (
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
          <Presence userId={otherMember(conversation, me)} />
        )}
      </div>
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
      {showingInfo && <GroupInfoDialog conversation={conversation} onClose={() => setShowingInfo(false)} />}
    </header>
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
