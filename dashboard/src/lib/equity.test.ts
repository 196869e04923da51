import { describe, expect, it } from "vitest";

import { curveSummary } from "./equity";

describe("equity curve summary", () => {
  it("is null without points, so the card shows its empty state", () => {
    expect(curveSummary([])).toBeNull();
  });

  it("reports the last equity exactly and the change from the first point", () => {
    const summary = curveSummary([{ equity: "100000.00" }, { equity: "99000.50" }, { equity: "100250.25" }]);
    expect(summary).toEqual({ last: "100250.25", change: 250.25 });
  });
});
