import type { ReactNode } from "react";
import { Button } from "./Button";
import { Dialog } from "./Dialog";

/**
 * Asks before something that cannot be undone. Focus starts on the way back (`cancel`), so a stray
 * Enter changes nothing.
 */
export function ConfirmDialog({
  title,
  confirm,
  cancel = "Cancel",
  busy = false,
  onConfirm,
  onCancel,
  children,
}: {
  title: string;
  /** The confirming button's text: what it does ("Delete", "Leave"). */
  confirm: string;
  cancel?: string;
  /** True while the action is under way: the confirming button waits. */
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  /** What happens, in a sentence or two. */
  children: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onCancel} size="sm">
      <p className="text-sm text-slate-600">{children}</p>
      <div className="mt-4 flex justify-end gap-2">
        <Button onClick={onCancel}>{cancel}</Button>
        <Button variant="danger" disabled={busy} onClick={onConfirm}>
          {confirm}
        </Button>
      </div>
    </Dialog>
  );
}
