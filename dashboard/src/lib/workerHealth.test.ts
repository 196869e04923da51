import { describe, expect, it } from "vitest";

import { workerJobs } from "./workerHealth";

describe("worker health jobs", () => {
  it("reads each job's last run, next run and running flag", () => {
    const jobs = workerJobs({
      jobs: {
        trading_cycle: {
          last_run: { status: "completed", started_at: "2026-11-25T15:00:30.000000Z" },
          next_run: "2026-11-25T16:00:30.000000Z",
          running: false,
          error: null,
        },
        equity_snapshot: { last_run: null, next_run: null, running: true, error: "calendar ran out" },
      },
    });
    expect(jobs).toEqual([
      {
        name: "trading_cycle",
        lastStatus: "completed",
        lastStarted: "2026-11-25T15:00:30.000000Z",
        nextRun: "2026-11-25T16:00:30.000000Z",
        running: false,
        error: null,
      },
      { name: "equity_snapshot", lastStatus: null, lastStarted: null, nextRun: null, running: true, error: "calendar ran out" },
    ]);
  });

  it("gives no rows for an unreachable worker or a report without jobs", () => {
    expect(workerJobs(null)).toEqual([]);
    expect(workerJobs({ jobs: ["not", "a", "map"] })).toEqual([]);
  });
});
