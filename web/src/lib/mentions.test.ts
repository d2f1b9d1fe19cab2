import { describe, expect, it } from "vitest";
import { mentionAt, mentionPieces } from "./mentions";

describe("mentions", () => {
  it("mark the @usernames of the members named, whatever their case, and nothing else", () => {
    const pieces = mentionPieces(
      "Hi @Ann and @bob, mail bob@example.com or @nobody",
      new Set(["ann", "bob"]),
    );
    expect(pieces.filter((p) => p.marked).map((p) => p.text)).toEqual(["@Ann", "@bob"]);
    expect(pieces.map((p) => p.text).join("")).toBe("Hi @Ann and @bob, mail bob@example.com or @nobody");
    expect(mentionPieces("no one", new Set(["ann"]))).toEqual([{ text: "no one", marked: false }]);
    // A name ending a sentence: the dots and dashes after it are not part of it, unless a username has them
    expect(mentionPieces("thanks @bob.", new Set(["bob"])).map((p) => p.text)).toEqual([
      "thanks ",
      "@bob",
      ".",
    ]);
    expect(mentionPieces("hi @bob.", new Set(["bob."])).filter((p) => p.marked)[0]?.text).toBe("@bob.");
  });

  it("find the @name being typed before the caret", () => {
    expect(mentionAt("hello @an", 9)).toEqual({ start: 6, prefix: "an" });
    expect(mentionAt("hello @", 7)).toEqual({ start: 6, prefix: "" });
    expect(mentionAt("mail a@b", 8)).toBeNull();
    expect(mentionAt("@ann done", 9)).toBeNull();
  });
});
