import { describe, expect, it } from "vitest";

import { diffDocuments, flatten, formatInput, parseInput, setPath } from "./configDoc";

describe("config document editing", () => {
  it("flattens nested sections into dotted leaves, arrays stay whole", () => {
    const leaves = flatten({ trading: { max: 3 }, universe: { symbols: ["AAPL", "MSFT"] } });
    expect([...leaves.entries()]).toEqual([
      ["trading.max", 3],
      ["universe.symbols", ["AAPL", "MSFT"]],
    ]);
  });

  it("diff lists changed, added and removed leaves and nothing else", () => {
    const before = { trading: { a: 1, b: 2 }, risk: { gone: true } };
    const after = { trading: { a: 1, b: 5 }, agents: { new: "x" } };
    expect(diffDocuments(before, after)).toEqual([
      { key: "trading.b", old: 2, new: 5 },
      { key: "agents.new", old: undefined, new: "x" },
      { key: "risk.gone", old: true, new: undefined },
    ]);
    expect(diffDocuments(after, after)).toEqual([]);
  });

  it("typed input keeps unparsable text so the API reports it at the field", () => {
    expect(parseInput("2", 3)).toBe(2);
    expect(parseInput("0.25", 3)).toBe(0.25);
    expect(parseInput("two", 3)).toBe("two");
    expect(parseInput("AAPL, msft ,", ["X"])).toEqual(["AAPL", "msft", ""]);
    expect(parseInput("", null)).toBeNull();
    expect(parseInput("false", true)).toBe(false);
  });

  it("setPath replaces one leaf without touching its siblings", () => {
    const doc = { trading: { a: 1, b: 2 }, risk: { c: 3 } };
    const next = setPath(doc, "trading.b", 9);
    expect(next).toEqual({ trading: { a: 1, b: 9 }, risk: { c: 3 } });
    expect(doc.trading.b).toBe(2);
    expect(formatInput(["A", "B"])).toBe("A, B");
  });
});
