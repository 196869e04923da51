// Overview: account, positions, equity curve and the latest cycle.
import { useCallback } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../api/client";
import { AccountStats } from "../components/AccountStats";
import { EquityCard } from "../components/EquityCard";
import { ErrorBanner } from "../components/ErrorBanner";
import { MarketCard } from "../components/MarketCard";
import { PositionsTable } from "../components/PositionsTable";
import { Status } from "../components/Status";
import { formatMs, formatTime } from "../lib/format";
import { useLive } from "../lib/useLive";
import { useQuery } from "../lib/useQuery";

export function OverviewPage() {
  const portfolio = useQuery(() => unwrap(api.GET("/api/portfolio")), [], 30_000);
  const active = useQuery(() => unwrap(api.GET("/api/config/active")), []);
  const universe = active.data?.data.universe;
  const symbols =
    typeof universe === "object" && universe !== null && Array.isArray((universe as { symbols?: unknown }).symbols)
      ? ((universe as { symbols: unknown[] }).symbols.filter((s) => typeof s === "string") as string[])
      : [];
  const latest = useQuery(() => unwrap(api.GET("/api/cycles", { params: { query: { limit: 1 } } })), []);
  const { reload } = latest;
  useLive("CYCLES", useCallback((event) => {
    if (event.type !== "cycle.stage") reload();
  }, [reload]));
  const cycle = latest.data?.items[0];

  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
      </div>
      <ErrorBanner error={portfolio.error} />
      {portfolio.data !== undefined && <AccountStats account={portfolio.data.account} />}
      <div style={{ marginTop: 12 }}>
        <EquityCard />
      </div>
      <div className="grid grid-2" style={{ marginTop: 12 }}>
        <MarketCard symbols={symbols} />
        <div className="card" data-testid="latest-cycle">
          <h2>Latest cycle</h2>
          <ErrorBanner error={latest.error} />
          {cycle === undefined ? (
            <div className="empty">No cycle has run yet.</div>
          ) : (
            <table>
              <tbody>
                <tr>
                  <th>Cycle</th>
                  <td className="mono">
                    <Link to={`/cycles/${cycle.cycle_id}`}>{cycle.cycle_id}</Link>
                  </td>
                </tr>
                <tr>
                  <th>Status</th>
                  <td>
                    <Status value={cycle.status} />
                  </td>
                </tr>
                <tr>
                  <th>Started</th>
                  <td>{formatTime(cycle.started_at ?? cycle.requested_at)}</td>
                </tr>
                <tr>
                  <th>Symbols</th>
                  <td>{cycle.symbols.join(", ") || "universe"}</td>
                </tr>
                <tr>
                  <th>Config</th>
                  <td>v{cycle.config_version}</td>
                </tr>
                <tr>
                  <th>Wall time</th>
                  <td>{formatMs(cycle.wall_ms)}</td>
                </tr>
              </tbody>
            </table>
          )}
        </div>
      </div>
      <div className="card" style={{ marginTop: 12 }}>
        <h2>Positions</h2>
        {portfolio.data !== undefined && <PositionsTable rows={portfolio.data.positions} />}
      </div>
    </>
  );
}
