import { useEffect, useState } from "react";
import { onWorkerMessage } from "../lib/push";
import { type ChatStore, isArchived, isMuted, unreadTotal } from "../lib/store";
import { CONVERSATION_PARAM, conversationFromUrl } from "../sw/notifications";
import { AuthScreen } from "./AuthScreen";
import { ConversationView } from "./ConversationView";
import { Sidebar } from "./Sidebar";
import { useChat } from "./useChat";

/** The server asked for fewer requests: say so, and count down to when sending resumes. */
function SlowDown({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  return (
    <div
      role="status"
      data-testid="slow-down"
      className="bg-amber-100 px-4 py-2 text-center text-sm text-amber-900"
    >
      Slow down: you are doing that too often. Waiting messages go out in {seconds} s.
    </div>
  );
}

/** The tab's title, as in index.html; unread messages put their count in front. */
const TITLE = "Chat";

export function App({ store }: { store: ChatStore }) {
  const state = useChat(store);
  // Opened from a notification with no window of the app open: /?conversation=<id>.
  const [openId, setOpenId] = useState<string | null>(() => conversationFromUrl(window.location.href));
  // Archived and muted chats stay quiet: their unread messages are not counted in the title.
  const unread = unreadTotal(state.conversations.filter((c) => !isArchived(c) && !isMuted(c)));

  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) ${TITLE}` : TITLE;
  }, [unread]);

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
  const signedIn = state.session !== null;
  useEffect(() => {
    if (openId && signedIn) void store.ensureConversation(openId);
  }, [store, openId, signedIn]);

  if (!state.session) return <AuthScreen store={store} notice={state.notice} />;
  const open = state.conversations.find((c) => c.id === openId) ?? null;
  return (
    <div className="flex h-dvh flex-col">
      {state.status !== "online" && (
        <div role="status" className="bg-amber-100 px-4 py-2 text-center text-sm text-amber-900">
          {state.status === "connecting"
            ? "Connecting…"
            : "You are offline. Reconnecting; messages you send will go out when you're back."}
        </div>
      )}
      {state.slowDownUntil && <SlowDown until={state.slowDownUntil} />}
      {state.notice && (
        <div
          role="alert"
          className="flex items-center justify-between bg-red-50 px-4 py-2 text-sm text-red-800"
        >
          <span>{state.notice}</span>
          <button type="button" className="underline" onClick={() => store.dismissNotice()}>
            Dismiss
          </button>
        </div>
      )}
      <div className="flex min-h-0 flex-1">
        <div
          className={`${open ? "hidden md:flex" : "flex"} w-full flex-col border-r border-slate-200 md:w-80`}
        >
          <Sidebar store={store} state={state} openId={openId} onOpen={setOpenId} />
        </div>
        <main className={`${open ? "flex" : "hidden md:flex"} min-w-0 flex-1 flex-col`}>
          {open ? (
            <ConversationView
              key={open.id}
              store={store}
              state={state}
              conversation={open}
              onBack={() => setOpenId(null)}
            />
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
