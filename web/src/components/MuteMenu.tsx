import { useEffect, useRef, useState } from "react";
import { isMuted } from "../lib/store";
import type { Conversation } from "../lib/types";
import { BellIcon, MutedIcon } from "./Icons";
import { moveInMenu } from "./menu";
import { mutedUntilText, useStore } from "./useChat";

const HOUR_MS = 60 * 60 * 1000;

/** How long a mute lasts; null: until unmuted. */
const MUTE_CHOICES: ReadonlyArray<{ label: string; forMs: number | null }> = [
  { label: "For 8 hours", forMs: 8 * HOUR_MS },
  { label: "For 1 week", forMs: 7 * 24 * HOUR_MS },
  { label: "Until I unmute", forMs: null },
];

/** The conversation header's bell: mutes its notifications for this user (on every device), or unmutes. */
export function MuteMenu({ conversation }: { conversation: Conversation }) {
  const store = useStore();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const muted = isMuted(conversation);
  const label = muted
    ? `Notifications muted ${mutedUntilText(conversation.mutedUntil)}`
    : "Mute notifications";

  // The menu opens with its first item focused.
  useEffect(() => {
    if (open) menu.current?.querySelector("button")?.focus();
  }, [open]);

  /** Closes the menu, focus back on its button. */
  function close() {
    setOpen(false);
    button.current?.focus();
  }

  function choose(action: () => Promise<void>) {
    close();
    void action();
  }

  return (
    <div className="relative">
      <button
        ref={button}
        type="button"
        onClick={() => setOpen(!open)}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        title={label}
        className={`rounded p-1.5 hover:bg-slate-100 ${muted ? "text-teal-700" : "text-slate-600"}`}
      >
        {muted ? <MutedIcon /> : <BellIcon />}
      </button>
      {open && (
        <div
          ref={menu}
          role="menu"
          aria-label={muted ? "Muted" : "Mute notifications"}
          onKeyDown={(event) => {
            if (event.key === "Escape") close();
            else moveInMenu(event);
          }}
          // Focus leaving the menu closes it; to its own button, that button's click does.
          onBlur={(event) => {
            const to = event.relatedTarget as Node | null;
            if (!event.currentTarget.contains(to) && to !== button.current) setOpen(false);
          }}
          className="absolute right-0 top-full z-10 mt-1 flex w-44 flex-col rounded bg-white py-1 text-sm shadow-lg"
        >
          {muted ? (
            <button
              type="button"
              role="menuitem"
              onClick={() => choose(() => store.unmute(conversation.id))}
              className="px-4 py-1.5 text-left hover:bg-slate-100"
            >
              Unmute
            </button>
          ) : (
            MUTE_CHOICES.map((choice) => (
              <button
                key={choice.label}
                type="button"
                role="menuitem"
                onClick={() => choose(() => store.mute(conversation.id, choice.forMs))}
                className="px-4 py-1.5 text-left hover:bg-slate-100"
              >
                {choice.label}
              </button>
            ))
          )}
        </div>
      )}
    </div>
  );
}
