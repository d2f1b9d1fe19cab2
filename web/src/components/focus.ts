/** The id of the composer's Message box. */
export const COMPOSER_ID = "composer";

/**
 * Focus for when the control that had it is gone (a deleted message's tools, a dialog's opener):
 * the Message box, so the keyboard is somewhere useful rather than back at the top of the page.
 */
export function composerBox(): HTMLElement | null {
  return document.getElementById(COMPOSER_ID);
}
