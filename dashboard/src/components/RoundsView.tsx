// Each consensus round: the plan the trader proposed and each approver's verdicts.
import type { ConsensusRound } from "../api/types";
import { JsonView } from "./JsonView";
import { Status } from "./Status";


export function RoundsView({ rounds }: { rounds: ConsensusRound[] }) {
  if (rounds.length === 0) return <div className="empty">No consensus rounds recorded.</div>;
  return (
    <div data-testid="consensus-rounds">
      {rounds.map((r) => (
        <div key={r.round} className="card" data-testid={`round-${r.round}`}>
          <div className="row">
            <strong>Round {r.round}</strong>
            <Status value={r.approved ? "approved" : "rejected"} />
          </div>
          <div className="grid grid-2" style={{ marginTop: 6 }}>
            <div>
              <h3>Plan</h3>
              <JsonView value={r.plan} collapsedLines={16} />
            </div>
            <div>
              <h3>Verdicts</h3>
              <JsonView value={r.verdicts} collapsedLines={16} />
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}
