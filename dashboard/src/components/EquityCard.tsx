// The equity curve: snapshots the worker stores every 5 minutes in session and after each cycle.
import { useCallback } from "react";

import { api, unwrap } from "../api/client";
import type { EquityCurve } from "../api/types";
import { curveSummary } from "../lib/equity";
import { formatMoney, formatTime } from "../lib/format";
import { useLive } from "../lib/useLive";
import { useQuery } from "../lib/useQuery";
import { EquityChart } from "./charts";
import { ErrorBanner } from "./ErrorBanner";

/** Seven days of points is plenty for the overview (5-minute points in session). */
const WINDOW_MS = 7 * 24 * 3600 * 1000;
const AFTER_CYCLE_MS = 5_000;

async function loadCurve(): Promise<EquityCurve> {
  const from = new Date(Date.now() - WINDOW_MS).toISOString();
  return await unwrap(api.GET("/api/portfolio/equity", { params: { query: { from, limit: 5000 } } }));
}

export function EquityCard() {
  const curve = useQuery(loadCurve, [], 60_000);
  const { reload } = curve;
  // The worker stores a point right after each cycle ends: refresh then, and once more a
  // little later, since the point is written just after the cycle's final event.
  useLive(
    "CYCLES",
    useCallback(
      (event) => {
        if (event.type !== "cycle.completed" && event.type !== "cycle.failed") return;
        reload();
        window.setTimeout(reload, AFTER_CYCLE_MS);
      },
      [reload],
    ),
  );
  const points = curve.data?.points ?? [];
  const summary = curveSummary(points);
  return (
    <div className="card" data-testid="equity-card">
      <div className="row">
        <h2 style={{ margin: 0 }}>Equity</h2>
        {summary !== null && (
          <span className="muted small">
            {formatMoney(summary.last)} · {summary.change >= 0 ? "+" : "-"}
            {formatMoney(Math.abs(summary.change).toFixed(2))} over {points.length} point(s) since{" "}
            {formatTime(points[0]?.time)}
          </span>
        )}
      </div>
      <ErrorBanner error={curve.error} testId="equity-error" />
      {curve.data !== undefined && points.length === 0 && (
        <div className="empty" data-testid="equity-empty">
          No equity snapshots in the last 7 days. The worker records one every 5 minutes while the market is open
          and one right after each cycle.
        </div>
      )}
      {points.length > 0 && <EquityChart points={points} />}
    </div>
  );
}
