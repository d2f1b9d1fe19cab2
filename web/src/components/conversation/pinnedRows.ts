import { createContext, useContext, useEffect } from "react";

/** Keeps a row drawn however far it scrolls out of view, until the function it returns is called. */
export type PinRow = (key: string) => () => void;

/** The message list's pin, for the rows it draws; null outside a list. */
export const PinRowContext = createContext<PinRow | null>(null);
/** The key of the row a component is drawn in; null outside a row. */
export const RowKeyContext = createContext<string | null>(null);

/**
 * Keeps the row this is drawn in mounted while `active`: the list draws only the rows near the view,
 * so a row scrolled away (or pushed up by new messages) would lose what is open in it (an edit being
 * written, a confirmation, a photo being viewed). Does nothing outside a virtualized list.
 */
export function useKeepRowMounted(active: boolean): void {
  const pin = useContext(PinRowContext);
  const key = useContext(RowKeyContext);
  useEffect(() => {
    if (!active || !pin || key === null) return;
    return pin(key);
  }, [active, pin, key]);
}
