import { useEffect, useState } from "react";
import { Button } from "./Button";
import { useChatSelector, useStore } from "./useChat";

/** Connecting, or offline: sends wait and go out when the socket is back. */
export function ConnectionBar() {
  const status = useChatSelector((state) => state.status);
  if (status === "online") return null;
  return (
    <div role="status" className="bg-amber-100 px-4 py-2 text-center text-sm text-amber-900">
      {status === "connecting"
        ? "Connecting…"
        : "You are offline. Reconnecting; messages you send will go out when you're back."}
    </div>
  );
}

/** The server asked for fewer requests: say so, and count down to when sending resumes. */
export function SlowDownBar() {
  const until = useChatSelector((state) => state.slowDownUntil);
  return until ? <SlowDown until={until} /> : null;
}

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

/** Something went wrong that the reader should know about, until they dismiss it. */
export function NoticeBar() {
  const store = useStore();
  const notice = useChatSelector((state) => state.notice);
  if (!notice) return null;
  return (
    <div role="alert" className="flex items-center justify-between bg-red-50 px-4 py-2 text-sm text-red-800">
      <span>{notice}</span>
      <Button variant="link" onClick={() => store.dismissNotice()}>
        Dismiss
      </Button>
    </div>
  );
}
