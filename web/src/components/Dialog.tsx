import { type KeyboardEvent, type MouseEvent, type ReactNode, useId, useLayoutEffect, useRef } from "react";
import { composerBox } from "./focus";

/** What takes focus when a dialog opens, unless it asks for itself: its first field, else its first button. */
const FIRST_CONTROL =
  "input:not([type=file]):not([disabled]), textarea:not([disabled]), button:not([disabled])";
/** What Tab can reach. */
const TABBABLE =
  "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])";

/** The controls Tab moves between in `dialog`, in order: shown, enabled, and not in a dialog within it. */
function tabbable(dialog: HTMLDialogElement): HTMLElement[] {
  return [...dialog.querySelectorAll<HTMLElement>(TABBABLE)].filter(
    (element) =>
      element.closest("dialog") === dialog &&
      element.tabIndex >= 0 &&
      !element.matches(":disabled") &&
      element.getClientRects().length > 0,
  );
}

/**
 * Tab past the last control comes round to the first, and Shift+Tab past the first to the last: a
 * modal <dialog> keeps the page behind out of reach, but Tab would still leave it for the browser.
 */
function keepFocusInside(event: KeyboardEvent<HTMLDialogElement>) {
  const dialog = event.currentTarget;
  if (event.key !== "Tab" || (event.target as Element).closest("dialog") !== dialog) return;
  const controls = tabbable(dialog);
  const first = controls[0];
  const last = controls[controls.length - 1];
  const focused = document.activeElement;
  if (!first || !last) event.preventDefault();
  else if (event.shiftKey && (focused === first || focused === dialog)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && focused === last) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * A modal on the native <dialog>, opened with showModal(): the page behind it is inert, Tab and
 * Shift+Tab go round its controls, and Escape closes it. Focus goes back to what opened it when it closes,
 * or, when that is gone, to `fallbackFocus` (the Message box unless told). It is shown while mounted: the
 * owner unmounts it in `onClose`.
 */
export function Modal({
  onClose,
  labelledBy,
  label,
  focusSelf = false,
  className,
  onClick,
  fallbackFocus = composerBox,
  children,
}: {
  onClose: () => void;
  /** The id of the element that names it (its title); or `label`, when it shows none. */
  labelledBy?: string;
  label?: string;
  /** Focus the dialog itself when it opens (a viewer), rather than its first control. */
  focusSelf?: boolean;
  className: string;
  onClick?: (event: MouseEvent<HTMLDialogElement>) => void;
  /** What takes focus on closing when what opened the dialog is gone from the page. */
  fallbackFocus?: () => HTMLElement | null;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  const fallback = useRef(fallbackFocus);
  useLayoutEffect(() => {
    close.current = onClose;
    fallback.current = fallbackFocus;
  });
  // Opened before paint, so it never shows as an ordinary element first.
  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    // Escape closes the element itself; the owner hears of it and unmounts it.
    const closed = () => close.current();
    element.addEventListener("close", closed);
    element.showModal();
    (focusSelf ? element : element.querySelector<HTMLElement>(FIRST_CONTROL))?.focus();
    return () => {
      element.removeEventListener("close", closed);
      element.close();
      if (opener?.isConnected) opener.focus();
      else fallback.current()?.focus();
    };
  }, [focusSelf]);
  return (
    <dialog
      ref={dialog}
      aria-labelledby={labelledBy}
      aria-label={label}
      tabIndex={focusSelf ? -1 : undefined}
      className={className}
      onClick={onClick}
      onKeyDown={keepFocusInside}
    >
      {children}
    </dialog>
  );
}

/** A titled dialog card over the app: the title names it for assistive technology. */
export function Dialog({
  title,
  onClose,
  size = "md",
  children,
}: {
  title: string;
  onClose: () => void;
  size?: "sm" | "md";
  children: ReactNode;
}) {
  const titleId = useId();
  return (
    <Modal
      onClose={onClose}
      labelledBy={titleId}
      className={`m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-2rem)] overflow-y-auto ${
        size === "sm" ? "max-w-sm" : "max-w-md"
      } rounded-lg bg-white p-5 text-slate-900 shadow-xl backdrop:bg-black/30`}
    >
      <h2 id={titleId} className="mb-4 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </Modal>
  );
}

/** A labelled, required one-line text field, as the dialogs' forms use. */
export function TextField({
  label,
  value,
  onChange,
  maxLength,
  className = "",
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  maxLength: number;
  className?: string;
}) {
  return (
    <label className={`block text-sm font-medium ${className}`}>
      {label}
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
        maxLength={maxLength}
        className="mt-1 w-full rounded border border-slate-300 px-3 py-2"
      />
    </label>
  );
}
