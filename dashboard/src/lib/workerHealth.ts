// The worker's /health report (as the API passes it through) read defensively: the report is
// another process's JSON, so every field is checked before it is shown.
import type { WorkerHealth } from "../api/types";

export interface WorkerJob {
  name: string;
  lastStatus: string | null;
  lastStarted: string | null;
  nextRun: string | null;
  running: boolean;
  error: string | null;
}

export function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** The worker report's `jobs` as rows; anything the worker did not send stays empty. */
export function workerJobs(report: WorkerHealth["report"]): WorkerJob[] {
  const jobs = record(report?.jobs);
  if (jobs === null) return [];
  return Object.entries(jobs).map(([name, raw]) => {
    const job = record(raw) ?? {};
    const last = record(job.last_run);
    return {
      name,
      lastStatus: text(last?.status),
      lastStarted: text(last?.started_at),
      nextRun: text(job.next_run),
      running: job.running === true,
      error: text(job.error),
    };
  });
}

