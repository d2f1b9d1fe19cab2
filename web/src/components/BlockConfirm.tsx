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
      Neither of you can send in a direct chat between you, and they cannot start one. They no longer see when
      you are online or typing. In groups you both stay and see each other's messages, but theirs no longer
      notify you. They are not told; you can unblock them at any time.
    </ConfirmDialog>
  );
}
