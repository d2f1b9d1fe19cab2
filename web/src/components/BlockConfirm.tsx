import { ConfirmDialog } from "./ConfirmDialog";

/** The step before blocking someone, wherever it is offered: a direct chat's menu, a group's members. */
export function BlockConfirm({
  name,
  onConfirm,
  onCancel,
}: {
  name: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <ConfirmDialog title={`Block ${name}?`} confirm="Block" onConfirm={onConfirm} onCancel={onCancel}>
      They can no longer send you direct messages, see when you are online, or see you typing, and their group
      messages no longer notify you. They are not told; you can unblock them at any time.
    </ConfirmDialog>
  );
}
