// A coloured badge for a status word (cycle, decision, order, health check).

const TONE: Record<string, string> = {
  completed: "ok",
  ok: "ok",
  healthy: "ok",
  active: "ok",
  approved: "ok",
  executed: "ok",
  filled: "ok",
  up: "ok",
  open: "ok",
  running: "busy",
  started: "busy",
  queued: "busy",
  connecting: "busy",
  draft: "busy",
  validated: "busy",
  proposed: "busy",
  new: "busy",
  accepted: "busy",
  partially_filled: "busy",
  failed: "bad",
  rejected: "bad",
  error: "bad",
  down: "bad",
  unhealthy: "bad",
  unavailable: "bad",
  unreachable: "bad",
  invalid: "bad",
  closed: "bad",
  halted: "bad",
  reducing: "warn",
  degraded: "warn",
  cancelled: "warn",
  canceled: "warn",
  no_trade: "warn",
  archived: "muted",
  pending: "muted",
};

export function Status({ value, testId }: { value: string | null | undefined; testId?: string }) {
  const word = value ?? "unknown";
  const tone = TONE[word.toLowerCase()] ?? "muted";
  return (
    <span className={`badge badge-${tone}`} data-testid={testId} data-status={word}>
      {word}
    </span>
  );
}
