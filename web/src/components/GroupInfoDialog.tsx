import { type FormEvent, useEffect, useRef, useState } from "react";
import { isBlocked, isMember } from "../lib/store";
import type { Conversation } from "../lib/types";
import { Avatar } from "./Avatar";
import { BlockConfirm } from "./BlockConfirm";
import { Button } from "./Button";
import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog, TextField } from "./Dialog";
import { PeoplePicker } from "./PeopleSearch";
import { useChatSelector, useMyId, useStore } from "./useChat";

interface Props {
  conversation: Conversation;
  onClose: () => void;
}

/** A group's members and settings: admins add, remove and rename; anyone may leave, and block a member. */
export function GroupInfoDialog({ conversation, onClose }: Props) {
  const store = useStore();
  const me = useMyId();
  const users = useChatSelector((state) => state.users);
  const blocked = useChatSelector((state) => state.blocked);
  const [confirmingBlock, setConfirmingBlock] = useState<{ id: string; name: string } | null>(null);
  const [blockStatus, setBlockStatus] = useState("");
  const member = isMember(conversation, me);
  const admin = member && conversation.adminIds.includes(me);
  const [name, setName] = useState(conversation.name ?? "");
  const [confirmingLeave, setConfirmingLeave] = useState(false);
  const [busy, setBusy] = useState(false);
  const memberList = useRef<HTMLUListElement>(null);
  const [error, setError] = useState<string | null>(null);

  // Whom this user blocked may have changed on another device, or failed to load at sign-in.
  useEffect(() => {
    void store.loadBlocks();
  }, [store]);

  async function run(change: () => Promise<void>, failure: string): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await change();
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : failure);
      return false;
    } finally {
      setBusy(false);
    }
  }

  function rename(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed && trimmed !== conversation.name) {
      void run(() => store.renameGroup(conversation.id, trimmed), "The group could not be renamed.");
    }
  }

  /** Blocks or unblocks a member; a failure shows here, not behind the dialog. */
  async function setBlocked(id: string, shown: string, on: boolean) {
    setBlockStatus("");
    const done = await run(async () => {
      if (!(await (on ? store.block(id) : store.unblock(id)))) {
        throw new Error(on ? `${shown} could not be blocked.` : `${shown} could not be unblocked.`);
      }
    }, "");
    if (done) setBlockStatus(on ? `${shown} blocked` : `${shown} unblocked`);
  }

  async function leave() {
    const left = await run(() => store.leaveGroup(conversation.id), "You could not leave the group.");
    setConfirmingLeave(false);
    if (left) onClose();
  }

  return (
    <Dialog title="Group info" onClose={onClose}>
      <div className="space-y-4">
        {admin ? (
          <form onSubmit={rename} className="flex items-end gap-2">
            <TextField
              label="Group name"
              value={name}
              onChange={setName}
              maxLength={100}
              className="flex-1"
            />
            <Button
              type="submit"
              variant="primary"
              size="sm"
              disabled={busy || !name.trim() || name.trim() === conversation.name}
            >
              Rename
            </Button>
          </form>
        ) : (
          <p className="font-medium">{conversation.name ?? "Group"}</p>
        )}
        {!member && <p className="text-sm text-slate-600">You are no longer a member of this group.</p>}
        <section>
          <h3 className="mb-1 text-sm font-medium text-slate-600">{conversation.memberIds.length} members</h3>
          <ul ref={memberList} tabIndex={-1} aria-label="Members" className="max-h-60 overflow-y-auto">
            {conversation.memberIds.map((id) => {
              const user = users[id];
              const shown = user?.displayName ?? "Someone";
              return (
                <li key={id} className="flex items-center gap-2 py-1 text-sm">
                  <Avatar user={user} name={shown} size="sm" />
                  <span className="min-w-0 flex-1 truncate">
                    {shown}
                    {id === me && <span className="text-slate-500"> (you)</span>}
                  </span>
                  {conversation.adminIds.includes(id) && (
                    <span className="rounded bg-teal-50 px-1.5 py-0.5 text-xs font-medium text-teal-800">
                      Admin
                    </span>
                  )}
                  {id !== me && isBlocked(blocked, id) && (
                    <span className="rounded bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-800">
                      Blocked
                    </span>
                  )}
                  {id !== me && blocked !== null && (
                    // One button whose words change: focus stays on it (aria-disabled while busy, as a disabled
                    // button would lose it), and the status below says what happened.
                    <button
                      type="button"
                      aria-disabled={busy}
                      onClick={() => {
                        if (busy) return;
                        if (isBlocked(blocked, id)) void setBlocked(id, shown, false);
                        else setConfirmingBlock({ id, name: shown });
                      }}
                      aria-label={`${isBlocked(blocked, id) ? "Unblock" : "Block"} ${shown}`}
                      className="rounded px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100"
                    >
                      {isBlocked(blocked, id) ? "Unblock" : "Block"}
                    </button>
                  )}
                  {admin && id !== me && (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => {
                        // The row goes with the member: focus stays in the list, not on the page behind.
                        memberList.current?.focus();
                        void run(
                          () => store.removeMember(conversation.id, id),
                          `${shown} could not be removed.`,
                        );
                      }}
                      aria-label={`Remove ${shown}`}
                      className="rounded px-2 py-0.5 text-xs text-red-700 hover:bg-red-50"
                    >
                      Remove
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
        {admin && (
          <PeoplePicker
            label="Add members"
            exclude={conversation.memberIds}
            onPick={(user) =>
              void run(
                () => store.addMembers(conversation.id, [user.id]),
                `${user.displayName} could not be added.`,
              )
            }
          />
        )}
        <p role="status" className="sr-only">
          {blockStatus}
        </p>
        {error && (
          <p role="alert" className="text-sm text-red-700">
            {error}
          </p>
        )}
        <div className="flex justify-between gap-2">
          {member ? (
            <Button variant="danger-outline" size="sm" onClick={() => setConfirmingLeave(true)}>
              Leave group
            </Button>
          ) : (
            <span />
          )}
          <Button onClick={onClose}>Close</Button>
        </div>
      </div>
      {confirmingBlock && (
        <BlockConfirm
          name={confirmingBlock.name}
          onConfirm={() => {
            setConfirmingBlock(null);
            void setBlocked(confirmingBlock.id, confirmingBlock.name, true);
          }}
          onCancel={() => setConfirmingBlock(null)}
        />
      )}
      {confirmingLeave && (
        <ConfirmDialog
          title="Leave this group?"
          confirm="Leave"
          cancel="Stay"
          busy={busy}
          onConfirm={() => void leave()}
          onCancel={() => setConfirmingLeave(false)}
        >
          You will stop getting its messages.
        </ConfirmDialog>
      )}
    </Dialog>
  );
}
