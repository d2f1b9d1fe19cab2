import { useEffect, useRef } from "react";
import { Avatar } from "./Avatar";
import { Button } from "./Button";
import { useChatSelector, useStore } from "./useChat";

const NO_ONE: readonly string[] = [];

/** The people this user blocked, each with Unblock: in the profile dialog. */
export function BlockedPeople() {
  const store = useStore();
  const loaded = useChatSelector((state) => state.blocked !== null);
  const blocked = useChatSelector((state) => state.blocked ?? NO_ONE);
  const users = useChatSelector((state) => state.users);
  const list = useRef<HTMLUListElement>(null);
  const group = useRef<HTMLFieldSetElement>(null);

  // Someone may have been blocked on another device since the app started.
  useEffect(() => {
    void store.loadBlocks();
  }, [store]);

  return (
    <fieldset ref={group} tabIndex={-1} className="rounded border border-slate-200 px-3 pb-3">
      <legend className="px-1 text-sm font-medium">Blocked people</legend>
      {!loaded ? (
        <p className="text-sm text-slate-600">Loading…</p>
      ) : blocked.length === 0 ? (
        <p className="text-sm text-slate-600">
          No one. Block someone from a direct chat's ⋯ menu or a group's Group info: they can no longer send
          you direct messages.
        </p>
      ) : (
        <ul ref={list} tabIndex={-1} aria-label="Blocked people" className="max-h-40 overflow-y-auto">
          {blocked.map((id) => {
            const user = users[id];
            const name = user?.displayName ?? "Someone";
            return (
              <li key={id} className="flex items-center gap-2 py-1 text-sm">
                <Avatar user={user} name={name} size="sm" />
                <span className="min-w-0 flex-1 truncate">
                  {name} {user && <span className="text-slate-500">@{user.username}</span>}
                </span>
                <Button
                  size="xs"
                  className="text-xs"
                  aria-label={`Unblock ${name}`}
                  onClick={() => {
                    // The row goes with the block: focus stays in the list, not on the page behind (on the
                    // whole group, which then says "No one", when the list goes with the last row).
                    (blocked.length > 1 ? list.current : group.current)?.focus();
                    void store.unblock(id);
                  }}
                >
                  Unblock
                </Button>
              </li>
            );
          })}
        </ul>
      )}
    </fieldset>
  );
}
