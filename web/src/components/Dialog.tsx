import { type ReactNode, useEffect, useRef } from "react";

/**
 * A modal over the app. Escape closes it; focus moves into it when it opens and back to
 * what opened it when it closes, so keyboard users keep their place.
 */
export function Dialog({
  label,
  onClose,
  size = "md",
  children,
}: {
  label: string;
  onClose: () => void;
  size?: "sm" | "md";
  children: ReactNode;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    box.current?.querySelector<HTMLElement>("input:not([type=file]), textarea, button")?.focus();
    return () => opener?.focus();
  }, []);
  // Escape closes it wherever focus is (it may have fallen to the page when a button in it went away).
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => event.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="fixed inset-0 z-20 flex items-center justify-center bg-black/30 p-4">
      <div
        ref={box}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        className={`max-h-full w-full overflow-y-auto ${size === "sm" ? "max-w-sm" : "max-w-md"} rounded-lg bg-white p-5 shadow-xl`}
      >
        {children}
      </div>
    </div>
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
