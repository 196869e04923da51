// A cycle's stage-by-stage progress, merged from the REST detail and live `cycle.stage` events.

/** The stages of one cycle, in order (cream/events/types.py CYCLE_STAGES). */
export const CYCLE_STAGES = ["observe", "orient", "analysts", "research", "trader", "approval", "act", "persist"] as const;

export type StageState = "pending" | "started" | "completed" | "failed";

export interface StageView {
  stage: string;
  state: StageState;
  round: number;
  detail: string;
}

export interface StageUpdate {
  stage: string;
  state: string;
  round?: number | null;
  detail?: string | null;
}

const RANK: Record<StageState, number> = { pending: 0, started: 1, completed: 2, failed: 3 };

function asState(value: string): StageState | null {
  return value === "started" || value === "completed" || value === "failed" ? value : null;
}

/**
 * Folds updates (REST history first, then live events, possibly repeated or out of order:
 * delivery is at-least-once) into one row per stage. A stage never goes back from completed
 * to started, except for a later approval round, which starts that stage again.
 */
export function foldStages(updates: StageUpdate[], known: readonly string[] = CYCLE_STAGES): StageView[] {
  const views = new Map<string, StageView>(
    known.map((stage) => [stage, { stage, state: "pending", round: 0, detail: "" }]),
  );
  for (const update of updates) {
    const state = asState(update.state);
    if (state === null) continue;
    const round = update.round ?? 0;
    const current = views.get(update.stage) ?? { stage: update.stage, state: "pending", round: 0, detail: "" };
    const newer = round > current.round || (round === current.round && RANK[state] >= RANK[current.state]);
    if (newer) views.set(update.stage, { stage: update.stage, state, round, detail: update.detail ?? "" });
  }
  return [...views.values()];
}

/** True once the cycle's status is terminal. */
export function isFinished(status: string | null | undefined): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}
