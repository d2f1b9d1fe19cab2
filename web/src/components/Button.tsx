import type { ComponentProps } from "react";

const VARIANTS = {
  primary: "rounded bg-teal-700 font-medium text-white hover:bg-teal-800",
  secondary: "rounded border border-slate-300 hover:bg-slate-100",
  danger: "rounded bg-red-700 font-medium text-white hover:bg-red-800",
  "danger-outline": "rounded border border-red-300 text-red-700 hover:bg-red-50",
  /** No frame until the pointer is over it: a small control in a header or a bar ("←"). */
  ghost: "rounded hover:bg-slate-100",
  /** The main action on the teal of my own message: white, with teal text. */
  inverse: "rounded bg-white font-medium text-teal-800 hover:bg-teal-50",
  /** A square tool in a header: an icon with an accessible name; its colour comes from the caller. */
  icon: "rounded p-1.5 hover:bg-slate-100",
  link: "underline",
} as const;

const SIZES = {
  md: "px-4 py-2",
  sm: "px-3 py-1.5 text-sm",
  xs: "px-2 py-1",
  narrow: "px-3 py-2",
} as const;

export type ButtonVariant = keyof typeof VARIANTS;

type Props = ComponentProps<"button"> & {
  variant?: ButtonVariant;
  /** Padding and text size; icon and link buttons have their own. */
  size?: keyof typeof SIZES;
};

/** The app's buttons, in the few looks it has; `type` is "button" unless told (no stray form submits). */
export function Button({
  variant = "secondary",
  size = "md",
  type = "button",
  className = "",
  ...rest
}: Props) {
  const padding = variant === "icon" || variant === "link" ? "" : SIZES[size];
  return (
    <button
      type={type}
      className={`${VARIANTS[variant]} ${padding} disabled:cursor-not-allowed disabled:opacity-50 ${className}`}
      {...rest}
    />
  );
}
