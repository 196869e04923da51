// The decisions table shared by the decisions page and a cycle's page.
import { Link } from "react-router";

import type { DecisionSummary } from "../api/types";
import { formatDecimal, formatTime } from "../lib/format";
import { Status } from "./Status";


export function DecisionTable({ rows, showCycle = true }: { rows: DecisionSummary[]; showCycle?: boolean }) {
  if (rows.length === 0) return <div className="empty">No decisions.</div>;
  return (
    <table data-testid="decisions-table">
      <thead>
        <tr>
          <th>Time (UTC)</th>
          <th>Symbol</th>
          <th>Action</th>
          <th>Direction</th>
          <th className="num">Size</th>
          <th>Status</th>
          <th className="num">Confidence</th>
          <th>Reason</th>
          {showCycle && <th>Cycle</th>}
          <th className="num">Config</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr key={d.decision_id} data-testid="decision-row" data-decision-id={d.decision_id}>
            <td>
              <Link to={`/decisions/${d.decision_id}`} data-testid="decision-link">
                {formatTime(d.created_at)}
              </Link>
            </td>
            <td>
              <strong>{d.symbol}</strong>
            </td>
            <td>{d.action}</td>
            <td>{d.direction}</td>
            <td className="num">
              {formatDecimal(d.size)} <span className="muted small">{d.size_unit}</span>
            </td>
            <td>
              <Status value={d.status} />
            </td>
            <td className="num">{d.confidence.toFixed(2)}</td>
            <td className="mono small" title={d.summary}>{d.reason_code}</td>
            {showCycle && (
              <td className="mono small">
                <Link to={`/cycles/${d.cycle_id}`}>{d.cycle_id.slice(0, 12)}</Link>
              </td>
            )}
            <td className="num">{d.config_version}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
