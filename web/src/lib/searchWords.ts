import type { TextPiece } from "./mentions";

/** Words are cut to this many characters, as the server cuts them (services/search_terms.py). */
export const MAX_WORD_LENGTH = 64;
/** A search may name at most this many words. */
export const MAX_QUERY_WORDS = 10;

const MARKS = /\p{Mn}/gu;
/** Python's `\w`: Unicode letters, digits and "_". */
const WORD = /[\p{L}\p{N}_]+/gu;
/** A word as written, accents (combining marks) included. */
const WRITTEN_WORD = /[\p{L}\p{M}\p{N}_]+/gu;

/**
 * Text as the server compares it (services/search_terms.py): NFKD, case folded, NFKD again, nonspacing
 * marks dropped. Python's casefold is toLowerCase but for ß and the final sigma. So é = e, Straße = strasse.
 */
export function fold(text: string): string {
  const folded = text.normalize("NFKD").toLowerCase().replaceAll("ß", "ss").replaceAll("ς", "σ");
  return folded.normalize("NFKD").replace(MARKS, "");
}

/** The distinct words of `text` as the server indexes and searches them. */
export function words(text: string): string[] {
  return [...new Set((fold(text).match(WORD) ?? []).map((word) => word.slice(0, MAX_WORD_LENGTH)))];
}

/** The text in pieces, each written word that is one of `wanted` (folded, as `words` gives) marked. */
export function matchPieces(text: string, wanted: ReadonlySet<string>): TextPiece[] {
  const pieces: TextPiece[] = [];
  let from = 0;
  for (const match of text.matchAll(WRITTEN_WORD)) {
    if (!words(match[0]).some((word) => wanted.has(word))) continue;
    if (match.index > from) pieces.push({ text: text.slice(from, match.index), marked: false });
    pieces.push({ text: match[0], marked: true });
    from = match.index + match[0].length;
  }
  if (from < text.length || pieces.length === 0) pieces.push({ text: text.slice(from), marked: false });
  return pieces;
}
