import { useEffect, useRef, useState } from "react";
import { type Message, REACTIONS } from "../../lib/types";
import { moveInMenu } from "../menu";
import { useMyId, useStore } from "../useChat";

const TOOL = "rounded-full px-1.5 py-0.5 text-slate-500 hover:bg-slate-200";
const MENU_ITEM = "px-4 py-1 text-left hover:bg-slate-100";

/**
 * A message's tools beside its bubble, shown on hover or focus: react to it, and a menu to reply to
 * it and (my own) to edit or delete it.
 */
export function MessageTools({
  message,
  mine,
  onReply,
  onEdit,
  onDelete,
}: {
  message: Message;
  mine: boolean;
  onReply: () => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const store = useStore();
  const myId = useMyId();
  const [menu, setMenu] = useState<"actions" | "react" | null>(null);
  const actionsButton = useRef<HTMLButtonElement>(null);
  const actions = useRef<HTMLDivElement>(null);

  // A menu opens with its first item focused; arrow keys move between the items.
  useEffect(() => {
    if (menu === "actions") actions.current?.querySelector("button")?.focus();
  }, [menu]);

  return (
    <div
      role="toolbar"
      aria-label="Message tools"
      className={`relative flex shrink-0 group-focus-within:opacity-100 group-hover:opacity-100 pointer-coarse:opacity-100 ${
        menu ? "opacity-100" : "opacity-0"
      }`}
      onKeyDown={(e) => e.key === "Escape" && setMenu(null)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setMenu(null);
      }}
    >
      <button
        type="button"
        aria-label="React"
        aria-expanded={menu === "react"}
        onClick={() => setMenu(menu === "react" ? null : "react")}
        className={TOOL}
      >
        ☺
      </button>
      <button
        ref={actionsButton}
        type="button"
        aria-label="Message actions"
        aria-haspopup="menu"
        aria-expanded={menu === "actions"}
        onClick={() => setMenu(menu === "actions" ? null : "actions")}
        className={TOOL}
      >
        ⋯
      </button>
      {menu === "react" && (
        <div
          className={`absolute bottom-full z-10 mb-1 flex rounded-full bg-white p-1 shadow-lg ${mine ? "right-0" : "left-0"}`}
        >
          {REACTIONS.map((emoji) => {
            const on = !(message.reactions[emoji] ?? []).includes(myId);
            return (
              <button
                key={emoji}
                type="button"
                aria-label={on ? `React with ${emoji}` : `Remove ${emoji}`}
                onClick={() => {
                  store.react(message.id, emoji, on);
                  setMenu(null);
                }}
                className="rounded-full px-1.5 text-lg hover:bg-slate-100"
              >
                {emoji}
              </button>
            );
          })}
        </div>
      )}
      {menu === "actions" && (
        <div
          ref={actions}
          role="menu"
          onKeyDown={moveInMenu}
          className={`absolute bottom-full z-10 mb-1 flex flex-col rounded bg-white py-1 text-sm shadow-lg ${mine ? "right-0" : "left-0"}`}
        >
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              setMenu(null);
              onReply(); // the Message box takes focus, to write the reply
            }}
            className={MENU_ITEM}
          >
            Reply
          </button>
          {mine && (
            <button
              type="button"
              role="menuitem"
              onClick={() => {
                setMenu(null);
                onEdit();
              }}
              className={MENU_ITEM}
            >
              Edit
            </button>
          )}
          {mine && (
            <button
              type="button"
              role="menuitem"
              onClick={() => {
                // The confirmation hands focus back here when it closes, not to a menu item that is gone.
                actionsButton.current?.focus();
                setMenu(null);
                onDelete();
              }}
              className={`${MENU_ITEM} text-red-700`}
            >
              Delete
            </button>
          )}
        </div>
      )}
    </div>
  );
}
