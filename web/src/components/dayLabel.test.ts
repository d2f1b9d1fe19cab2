import { describe, expect, it } from "vitest";
import { dayLabel, shortDay } from "./useChat";

describe("dayLabel", () => {
  const now = new Date(2026, 11, 1, 15, 0); // Tuesday 1 December 2026, afternoon

  it("says Today and Yesterday in words", () => {
    expect(dayLabel(new Date(2026, 11, 1, 0, 5).toDateString(), now)).toBe("Today");
    expect(dayLabel(new Date(2026, 10, 30, 23, 59).toDateString(), now)).toBe("Yesterday");
  });

  it("names an older day with its weekday, and its year only when it is not this one", () => {
    const thisYear = dayLabel(new Date(2026, 10, 24).toDateString(), now);
    expect(thisYear).toContain("24");
    expect(thisYear).not.toContain("2026");
    expect(dayLabel(new Date(2025, 10, 24).toDateString(), now)).toContain("2025");
  });

  it("shows a day it cannot read as it is", () => {
    expect(dayLabel("not a day", now)).toBe("not a day");
  });
});

describe("shortDay", () => {
  const now = new Date(2026, 11, 1, 15, 0);

  it("says Today and Yesterday as the conversation's headings do", () => {
    expect(shortDay(new Date(2026, 11, 1, 4, 48).toISOString(), now)).toBe("Today");
    expect(shortDay(new Date(2026, 10, 30, 23, 59).toISOString(), now)).toBe("Yesterday");
  });

  it("gives an older day short, with its year only when it is not this one", () => {
    const thisYear = shortDay(new Date(2026, 10, 24, 12).toISOString(), now);
    expect(thisYear).toContain("24");
    expect(thisYear).not.toContain("2026");
    expect(shortDay(new Date(2025, 10, 24, 12).toISOString(), now)).toContain("2025");
  });
});
