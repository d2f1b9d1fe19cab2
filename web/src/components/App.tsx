import { useEffect, useState } from "react";
import { onWorkerMessage } from "../lib/push";
import { isArchived, isMuted, unreadTotal } from "../lib/store";
import { CONVERSATION_PARAM, conversationFromUrl } from "../sw/notifications";
import { AuthScreen } from "./AuthScreen";
import { ConversationView } from "./conversation/ConversationView";
import { Sidebar } from "./Sidebar";
import { ConnectionBar, NoticeBar, SlowDownBar } from "./StatusBars";
import { useChatSelector, useStore } from "./useChat";

/** The tab's title, as in index.html; unread messages put their count in front. */
const TITLE = "Chat";

/** Signed out: the sign-in screen. Signed in: the bars, the conversation list and the open conversation. */
export function App() {
  const store = useStore();
  const userId = useChatSelector((state) => state.session?.user.id ?? null);
  const signedIn = userId !== null;
  // Opened from a notification with no window of the app open: /?conversation=<id>.
  const [openId, setOpenId] = useState<string | null>(() => conversationFromUrl(window.location.href));
  // The chat open is the account's: whoever signs in next starts at the list, and asks for nothing of it.
  const [openFor, setOpenFor] = useState(userId);
  if (openFor !== userId) {
    setOpenFor(userId);
    if (openFor !== null) setOpenId(null);
  }
  const listed = useChatSelector(
    (state) => openId !== null && state.conversations.some((c) => c.id === openId),
  );

  useEffect(() => {
    // Taken once: a reload or a link copied later should not open it again.
    const url = new URL(window.location.href);
    if (url.searchParams.has(CONVERSATION_PARAM)) {
      url.searchParams.delete(CONVERSATION_PARAM);
      window.history.replaceState(window.history.state, "", url);
    }
    return onWorkerMessage((message) => {
      if (message.type === "openConversation") setOpenId(message.conversationId);
      else void store.checkNotifications(); // a new subscription: the server learns it
    });
  }, [store]);

  // A conversation a notification named may be past the list's first page: fetch it.
  useEffect(() => {
    if (openId && signedIn) void store.ensureConversation(openId);
  }, [store, openId, signedIn]);

  if (!signedIn) return <AuthScreen />;
  const open = listed ? openId : null;
  return (
    <div className="flex h-dvh flex-col">
      {/* The app's name, for assistive technology, as the sign-in screen shows it: on screen the list and
          the open conversation speak for themselves, and on a phone only one of them shows. */}
      <header className="sr-only">
        <h1>{TITLE}</h1>
      </header>
      <UnreadTitle />
      <ConnectionBar />
      <SlowDownBar />
      <NoticeBar />
      <div className="flex min-h-0 flex-1">
        {/* A region, not navigation: it holds the profile, search and New group as well as the list, and
            the list is the "Conversations" navigation inside it, which a second navigation would repeat. */}
        <section
          aria-label="Chats"
          className={`${open ? "hidden md:flex" : "flex"} w-full flex-col border-r border-slate-200 md:w-80`}
        >
          <Sidebar openId={openId} onOpen={setOpenId} />
        </section>
        <main className={`${open ? "flex" : "hidden md:flex"} min-w-0 flex-1 flex-col`}>
          {open ? (
            <ConversationView key={open} conversationId={open} onBack={() => setOpenId(null)} />
          ) : (
            <div className="m-auto max-w-sm p-6 text-center text-slate-500">
              Pick a conversation, or search for someone to start one.
            </div>
          )}
        </main>
      </div>
    </div>
  );
}

/** Keeps the tab's title counting unread messages; archived and muted chats stay quiet. */
function UnreadTitle() {
  const unread = useChatSelector((state) =>
    unreadTotal(state.conversations.filter((c) => !isArchived(c) && !isMuted(c))),
  );
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) ${TITLE}` : TITLE;
  }, [unread]);
  return null;
}
