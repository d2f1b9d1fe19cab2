import { defaultRangeExtractor, type Range, useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { groupMessages, visibleMessages } from "../../lib/messages";
import type { ChatState, Jump } from "../../lib/store";
import type { PendingMessage } from "../../lib/types";
import { Avatar } from "../Avatar";
import { Button } from "../Button";
import { MessageBubble } from "../message/MessageBubble";
import { dayLabel, useChatSelector, useDisplayName, useMyId, useStore } from "../useChat";
import { type PinRow, PinRowContext, RowKeyContext } from "./pinnedRows";
import { type MessageRowData, messageRows, type RowHeading, sameRow } from "./rows";

const NO_PENDING: readonly PendingMessage[] = [];
/** Within this many pixels of the end counts as at the bottom: new messages follow, and are read. */
const AT_BOTTOM_PX = 40;
/** Scrolled this near the top, the next page of history is fetched. */
const LOAD_OLDER_PX = 60;
/** Room above the first row: the "Load older messages" button while there is more to load. */
const OLDER_SPACE_PX = 56;
const EDGE_PX = 16;
/** After a page of history fails, scrolling near the top asks again only this much later (a click asks at once). */
export const OLDER_RETRY_MS = 5_000;
/** More new messages than this at once are announced as a count and the newest. */
const MOST_ANNOUNCED = 3;
const NO_INDEXES: readonly number[] = [];
/** How long a message jumped to stays highlighted. */
const HIGHLIGHT_MS = 2_500;

interface Props {
  conversationId: string;
  isGroup: boolean;
  /** False once this user left or was removed: the messages are read-only. */
  member: boolean;
}

/**
 * A conversation's messages, drawing only the rows in and near the view, so a history of any length
 * costs the same. Older pages load near the top without moving what the reader sees; while the reader
 * is at the bottom, new messages keep it there; the store hears whether the newest message is in view.
 */
export const MessageList = memo(function MessageList({ conversationId, isGroup, member }: Props) {
  const store = useStore();
  const me = useMyId();
  const stored = useChatSelector((state) => state.messages[conversationId]);
  const pending = useChatSelector((state) => state.pending[conversationId] ?? NO_PENDING);
  const hasOlder = useChatSelector((state) => state.hasOlder[conversationId] ?? false);
  const rows = useMemo(
    () => messageRows(groupMessages(visibleMessages(stored ?? [], pending, me), me), isGroup, hasOlder),
    [stored, pending, me, isGroup, hasOlder],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const loading = useRef(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  /** When scrolling may ask for older history again, after a page failed. */
  const olderRetryAt = useRef(0);

  // Rows holding something open (an edit, a confirmation, a photo) stay drawn wherever the list scrolls.
  const [pinned, setPinned] = useState<ReadonlyMap<string, number>>(() => new Map());
  const pin = useCallback<PinRow>((key) => {
    setPinned((current) => new Map(current).set(key, (current.get(key) ?? 0) + 1));
    return () =>
      setPinned((current) => {
        const next = new Map(current);
        const holders = (next.get(key) ?? 0) - 1;
        if (holders > 0) next.set(key, holders);
        else next.delete(key);
        return next;
      });
  }, []);
  const pinnedIndexes = useMemo(() => {
    if (pinned.size === 0) return NO_INDEXES;
    const indexes: number[] = [];
    rows.forEach((row, index) => {
      if (pinned.has(row.key)) indexes.push(index);
    });
    return indexes.length > 0 ? indexes : NO_INDEXES;
  }, [pinned, rows]);
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (pinnedIndexes.length === 0) return indexes;
      return [...new Set([...indexes, ...pinnedIndexes])].sort((a, b) => a - b);
    },
    [pinnedIndexes],
  );

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    getItemKey: useCallback((index: number) => rows[index]?.key ?? index, [rows]),
    overscan: 8,
    rangeExtractor,
    // The same with or without older history: the last page arriving must not move the rows.
    paddingStart: OLDER_SPACE_PX,
    paddingEnd: EDGE_PX,
    // Rows added above keep the row in view where it was; rows added below follow while at the end.
    anchorTo: "end",
    followOnAppend: true,
    scrollEndThreshold: AT_BOTTOM_PX,
  });

  // Shown, and at the newest message: the store marks it read while the window has focus.
  useEffect(() => {
    store.viewConversation(conversationId, true);
    return () => store.viewConversation(null);
  }, [store, conversationId]);

  // A conversation opens at its newest message.
  const opened = useRef(false);
  useLayoutEffect(() => {
    if (opened.current || rows.length === 0) return;
    opened.current = true;
    virtualizer.scrollToEnd();
  }, [virtualizer, rows.length]);

  // A quote or a search result asked to show a message: once its page is loaded (the store loads back to
  // it), scroll it to the middle of the view and highlight it for a moment.
  const jump = useChatSelector((state) =>
    state.jump?.conversationId === conversationId ? state.jump : null,
  );
  const [highlight, setHighlight] = useState<Jump | null>(null);
  useLayoutEffect(() => {
    if (!jump) return;
    const index = rows.findIndex((row) => row.item.message?.id === jump.messageId);
    if (index < 0) return;
    virtualizer.scrollToIndex(index, { align: "center" });
    setHighlight(jump);
    store.jumped(jump);
  }, [store, virtualizer, jump, rows]);
  useEffect(() => {
    if (!highlight) return;
    const timer = setTimeout(() => setHighlight(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlight]);

  // Something I just sent shows where I can see it, wherever I had scrolled to.
  const last = rows[rows.length - 1];
  const lastKey = last?.key;
  const sentByMe = !!last && last.mine && last.item.message === null;
  const lastSeen = useRef(lastKey);
  useLayoutEffect(() => {
    if (lastKey !== lastSeen.current && sentByMe) virtualizer.scrollToEnd();
    lastSeen.current = lastKey;
  }, [virtualizer, lastKey, sentByMe]);

  // New messages from others are read out once, in a live region of their own: the list itself is
  // silent, or drawing rows while scrolling and pages of older history would be read out too.
  const [arrival, setArrival] = useState({ text: "", count: 0 });
  const newestSeen = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    if (stored === undefined) return; // the history is still loading: what it brings is not news
    const previous = newestSeen.current;
    const newest = rows[rows.length - 1]?.key ?? null;
    newestSeen.current = newest;
    if (previous === undefined || newest === previous) return;
    const after = previous === null ? 0 : rows.findIndex((row) => row.key === previous) + 1;
    if (after === 0 && previous !== null) return; // the newest it knew is gone: nothing to say what is new
    const fresh = rows
      .slice(after)
      .filter((row) => !row.mine && row.item.message && !row.item.message.deletedAt);
    const latest = fresh[fresh.length - 1];
    if (!latest) return;
    const users = store.getState().users;
    const text =
      fresh.length > MOST_ANNOUNCED
        ? `${fresh.length} new messages. Newest: ${announcement(latest, users)}`
        : fresh.map((row) => announcement(row, users)).join(". ");
    setArrival((current) => ({ text, count: current.count + 1 }));
  }, [store, stored, rows]);

  async function loadOlder() {
    if (loading.current) return;
    loading.current = true;
    setLoadingOlder(true);
    let loaded = true;
    try {
      loaded = await store.loadOlder(conversationId); // a failure: the store tells the user
    } finally {
      loading.current = false;
      setLoadingOlder(false);
    }
    olderRetryAt.current = loaded ? 0 : Date.now() + OLDER_RETRY_MS;
  }

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    const bottom = element.scrollHeight - element.scrollTop - element.clientHeight < AT_BOTTOM_PX;
    if (bottom !== atBottom.current) store.viewConversation(conversationId, bottom);
    atBottom.current = bottom;
    if (element.scrollTop < LOAD_OLDER_PX && hasOlder && Date.now() >= olderRetryAt.current) {
      void loadOlder();
    }
  }

  return (
    <PinRowContext.Provider value={pin}>
      <div aria-live="polite" data-testid="new-messages" className="sr-only">
        {arrival.text && <span key={arrival.count}>{arrival.text}</span>}
      </div>
      <div
        ref={scroller}
        onScroll={onScroll}
        className="flex min-h-0 flex-1 flex-col overflow-y-auto [overflow-anchor:none]"
        aria-label="Messages"
        role="log"
        aria-live="off"
      >
        {stored === undefined && <p className="p-4 text-center text-sm text-slate-500">Loading messages…</p>}
        {stored !== undefined && rows.length === 0 && (
          <p className="p-4 text-center text-sm text-slate-500">No messages yet. Say hello!</p>
        )}
        {rows.length > 0 && (
          // A short conversation sits at the bottom, by the composer, as chats do (mt-auto in the column).
          <div className="relative mt-auto w-full shrink-0" style={{ height: virtualizer.getTotalSize() }}>
            {hasOlder && (
              <div className="absolute inset-x-0 top-4 text-center">
                <Button variant="link" onClick={() => void loadOlder()} className="text-sm text-teal-700">
                  {loadingOlder ? "Loading…" : "Load older messages"}
                </Button>
              </div>
            )}
            {virtualizer.getVirtualItems().map((virtual) => {
              const row = rows[virtual.index];
              if (!row) return null;
              return (
                <div
                  key={virtual.key}
                  data-index={virtual.index}
                  ref={virtualizer.measureElement}
                  className="absolute inset-x-0 top-0 px-4"
                  style={{ transform: `translateY(${virtual.start}px)` }}
                >
                  <RowKeyContext.Provider value={row.key}>
                    <MessageRow
                      row={row}
                      conversationId={conversationId}
                      isGroup={isGroup}
                      canAct={member}
                      highlight={highlight && row.item.message?.id === highlight.messageId ? highlight.id : 0}
                    />
                  </RowKeyContext.Provider>
                </div>
              );
            })}
          </div>
        )}
      </div>
    </PinRowContext.Provider>
  );
});

/** "Bob: see you at ten", or what it holds when it is only files ("Bob: Photo"). */
function announcement(row: MessageRowData, users: ChatState["users"]): string {
  const senderId = row.item.message?.senderId;
  const name = (senderId && users[senderId]?.displayName) || "Someone";
  const text = row.item.text.trim();
  if (text) return `${name}: ${text}`;
  const first = row.item.attachments[0];
  const what = !first ? "" : first.contentType.startsWith("image/") ? "Photo" : first.name;
  return `${name}: ${what}`;
}

interface RowProps {
  row: MessageRowData;
  conversationId: string;
  isGroup: boolean;
  canAct: boolean;
  /** The jump that highlights this message; 0 when none does. */
  highlight: number;
}

/** One message, with the heading of the one after it below it; re-rendered only when it changes. */
const MessageRow = memo(
  function MessageRow({ row, conversationId, isGroup, canAct, highlight }: RowProps) {
    return (
      <div className={`flex flex-col ${row.mine ? "items-end" : "items-start"}`}>
        {row.first && <Heading heading={row} />}
        <MessageBubble
          conversationId={conversationId}
          isGroup={isGroup}
          item={row.item}
          mine={row.mine}
          canAct={canAct}
          highlight={highlight}
        />
        {row.next && <Heading heading={row.next} />}
      </div>
    );
  },
  (a, b) =>
    a.conversationId === b.conversationId &&
    a.isGroup === b.isGroup &&
    a.canAct === b.canAct &&
    a.highlight === b.highlight &&
    sameRow(a.row, b.row),
);

/** The gap, day and sender that open a message, a run or a day. */
function Heading({ heading }: { heading: RowHeading }) {
  return (
    <>
      {heading.startsRun && <div aria-hidden="true" className="h-3 w-full" />}
      {heading.day && (
        <p className="w-full py-2 text-center text-xs text-slate-500">{dayLabel(heading.day)}</p>
      )}
      {heading.senderId && <SenderName userId={heading.senderId} />}
    </>
  );
}

function SenderName({ userId }: { userId: string }) {
  const user = useChatSelector((state) => state.users[userId]);
  const name = useDisplayName(userId);
  return (
    <p className="mb-1 flex items-center gap-1.5 self-start text-xs font-medium text-slate-600">
      <Avatar user={user} size="sm" />
      {name}
    </p>
  );
}
