import { describe, expect, it } from "vitest";
import { fold, matchPieces, words } from "./searchWords";

describe("search words", () => {
  it("are compared as the server compares them: accents, case and ß aside", () => {
    expect(fold("Crème BRÛLÉE")).toBe("creme brulee");
    expect(words("Straße, STRASSE and strasse!")).toEqual(["strasse", "and"]);
    expect(words("ΟΔΟΣ")).toEqual(words("οδος"));
    expect(words("snake_case x2 ½")).toEqual(["snake_case", "x2", "1", "2"]);
  });

  it("mark the written words a search matched, accents kept as written", () => {
    const pieces = matchPieces("Le café est fermé; CAFE demain", new Set(words("cafe ferme")));
    expect(pieces.filter((p) => p.marked).map((p) => p.text)).toEqual(["café", "fermé", "CAFE"]);
    expect(pieces.map((p) => p.text).join("")).toBe("Le café est fermé; CAFE demain");
    // Whole words only, as the server matches them
    expect(matchPieces("cafeteria", new Set(["cafe"]))).toEqual([{ text: "cafeteria", marked: false }]);
  });
});
