// One cycle's progress, stage by stage, live over the CYCLES channel.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../api/client";
import { live, type LiveEvent } from "../api/live";
import { useLive, useLiveStatus } from "../lib/useLive";
import { useQuery } from "../lib/useQuery";
import { foldStages, isFinished, type StageUpdate } from "../lib/stages";
import { formatMs, formatTime } from "../lib/format";
import { ErrorBanner } from "./ErrorBanner";
import { Status } from "./Status";

export function CycleProgress({ cycleId, onFinished }: { cycleId: string; onFinished?: () => void }) {
  const socket = useLiveStatus();
  // Seeded with what the socket already received for this cycle (it may have started
  // between the trigger's response and this component's mount).
  const [liveUpdates, setLiveUpdates] = useState<StageUpdate[]>(() =>
    live.recent("CYCLES").flatMap((e) => (e.payload.cycle_id === cycleId ? stageUpdates(e) : [])),
  );
  const [liveStatus, setLiveStatus] = useState<string | null>(() =>
    live.recent("CYCLES").reduce<string | null>((status, e) => (e.payload.cycle_id === cycleId ? statusOf(e) ?? status : status), null),
  );
  const finishedStatus = liveStatus !== null && isFinished(liveStatus);
  // Live events drive the display; REST polling is only the fallback while the socket is down.
  const [settling, setSettling] = useState(false);
  const detail = useQuery(
    () => unwrap(api.GET("/api/cycles/{cycle_id}", { params: { path: { cycle_id: cycleId } } })),
    [cycleId],
    socket !== "open" || settling ? 1000 : undefined,
  );
  const { reload } = detail;

  useLive(
    "CYCLES",
    useCallback(
      (event) => {
        if (event.payload.cycle_id !== cycleId) return;
        const updates = stageUpdates(event);
        if (updates.length > 0) setLiveUpdates((prev) => [...prev, ...updates]);
        const status = statusOf(event);
        if (status !== null) setLiveStatus(status);
        if (status !== null && isFinished(status)) {
          // The terminal event is thin: the decisions and timings come from REST.
          reload();
          onFinished?.();
        }
      },
      [cycleId, reload, onFinished],
    ),
  );

  const cycle = detail.data?.cycle;
  // The terminal event can overtake the cycle row's final update: re-read until REST agrees.
  const restFinished = cycle !== undefined && isFinished(cycle.status);
  useEffect(() => setSettling(finishedStatus && !restFinished), [finishedStatus, restFinished]);
  const history = detail.data?.stages;
  const stages = useMemo(
    () => foldStages([...(history ?? []).filter((s) => s.state !== "pending"), ...liveUpdates]),
    [history, liveUpdates],
  );
  // The later of REST and live: a live terminal event beats a REST read taken before it.
  const status =
    cycle !== undefined && isFinished(cycle.status)
      ? cycle.status
      : finishedStatus
        ? liveStatus
        : (liveStatus ?? cycle?.status ?? "queued");

  return (
    <div
      className="card"
      data-testid="cycle-progress"
      data-cycle-id={cycleId}
      data-status={status}
      data-live-events={liveUpdates.length}
    >
      <div className="row">
        <h2 style={{ margin: 0 }}>
          Cycle <Link to={`/cycles/${cycleId}`} className="mono" data-testid="cycle-link">{cycleId}</Link>
        </h2>
        <Status value={status} testId="cycle-status" />
        <span className="spacer" />
        {cycle !== undefined && (
          <span className="muted small">
            config v{cycle.config_version}
            {cycle.use_draft ? " (draft)" : ""} · {cycle.trigger} by {cycle.requested_by} · {cycle.symbols.join(", ") || "universe"} ·
            started {formatTime(cycle.started_at)} · wall {formatMs(cycle.wall_ms)}
          </span>
        )}
      </div>
      <div className="stages" style={{ marginTop: 10 }}>
        {stages.map((s) => (
          <div key={s.stage} className="stage" data-state={s.state} data-testid={`stage-${s.stage}`}>
            <div className="name">
              {s.stage}
              {s.round > 0 ? ` · r${s.round}` : ""}
            </div>
            <div className="small">{s.state}</div>
            <div className="detail">{s.detail}</div>
          </div>
        ))}
      </div>
      {cycle?.error && (
        <div className="error-banner" data-testid="cycle-error">
          {cycle.error}
        </div>
      )}
      <ErrorBanner error={detail.error} />
    </div>
  );
}

function stageUpdates(event: LiveEvent): StageUpdate[] {
  if (event.type !== "cycle.stage") return [];
  const p = event.payload;
  return [
    {
      stage: String(p.stage),
      state: String(p.state),
      round: typeof p.round === "number" ? p.round : 0,
      detail: typeof p.detail === "string" ? p.detail : "",
    },
  ];
}

/** The cycle status an event announces, or null for events that do not change it. */
function statusOf(event: LiveEvent): string | null {
  if (event.type === "cycle.started") return "running";
  if (event.type === "cycle.completed" || event.type === "cycle.failed") {
    return typeof event.payload.status === "string" ? event.payload.status : event.type.slice("cycle.".length);
  }
  return null;
}
