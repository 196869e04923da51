import { describe, expect, it } from "vitest";

import { CYCLE_STAGES, foldStages } from "./stages";

describe("cycle stage progress", () => {
  it("lists every stage in order, pending until heard of", () => {
    const views = foldStages([{ stage: "observe", state: "started" }]);
    expect(views.map((v) => v.stage)).toEqual([...CYCLE_STAGES]);
    expect(views[0]?.state).toBe("started");
    expect(views[1]?.state).toBe("pending");
  });

  it("a duplicate or late 'started' does not undo 'completed'", () => {
    const views = foldStages([
      { stage: "observe", state: "started" },
      { stage: "observe", state: "completed", detail: "3 symbols" },
      { stage: "observe", state: "started" },
    ]);
    expect(views[0]).toEqual({ stage: "observe", state: "completed", round: 0, detail: "3 symbols" });
  });

  it("a later approval round restarts the approval stage", () => {
    const views = foldStages([
      { stage: "approval", state: "completed", round: 1 },
      { stage: "approval", state: "started", round: 2 },
    ]);
    const approval = views.find((v) => v.stage === "approval");
    expect(approval?.state).toBe("started");
    expect(approval?.round).toBe(2);
  });

  it("unknown states are ignored, a failure is kept", () => {
    const views = foldStages([
      { stage: "act", state: "bogus" },
      { stage: "act", state: "failed", detail: "engine down" },
      { stage: "act", state: "completed" },
    ]);
    expect(views.find((v) => v.stage === "act")?.state).toBe("failed");
  });
});
