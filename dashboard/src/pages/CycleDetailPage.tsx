// One cycle: its live progress, decisions, consensus rounds and usage.
import { useParams } from "react-router";

import { api, unwrap } from "../api/client";
import { CycleProgress } from "../components/CycleProgress";
import { DecisionTable } from "../components/DecisionTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { RoundsView } from "../components/RoundsView";
import { useQuery } from "../lib/useQuery";

export function CycleDetailPage() {
  const { cycleId = "" } = useParams();
  const detail = useQuery(
    () => unwrap(api.GET("/api/cycles/{cycle_id}", { params: { path: { cycle_id: cycleId } } })),
    [cycleId],
  );
  const cycle = detail.data;
  return (
    <>
      <div className="page-head">
        <h1>Cycle</h1>
      </div>
      <CycleProgress cycleId={cycleId} onFinished={detail.reload} />
      <ErrorBanner error={detail.error} />
      {cycle !== undefined && (
        <>
          <div className="card">
            <h2>Decisions</h2>
            <DecisionTable rows={cycle.decisions} showCycle={false} />
          </div>
          <div className="card">
            <h2>Consensus rounds</h2>
            <RoundsView rounds={cycle.rounds} />
          </div>
        </>
      )}
    </>
  );
}
