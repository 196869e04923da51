// One decision: what was decided and why, every agent's output, every consensus round,
// the constraint results and the orders it produced; candles with the decision marked.
import { Link, useParams } from "react-router";

import { api, unwrap } from "../api/client";
import { CandleChart } from "../components/charts";
import { ErrorBanner } from "../components/ErrorBanner";
import { JsonView } from "../components/JsonView";
import { OrdersTable } from "../components/OrdersTable";
import { RoundsView } from "../components/RoundsView";
import { Status } from "../components/Status";
import { formatDecimal, formatMs, formatTime } from "../lib/format";
import { useQuery } from "../lib/useQuery";

export function DecisionDetailPage() {
  const { decisionId = "" } = useParams();
  const detail = useQuery(
    () => unwrap(api.GET("/api/decisions/{decision_id}", { params: { path: { decision_id: decisionId } } })),
    [decisionId],
  );
  const d = detail.data;
  // The full cream.v1.Decision as JSON (proto field names); read defensively.
  const decision = record(d?.decision);
  const plan = record(decision.order_plan);
  const levels = record(decision.risk_levels);
  const rationale = record(decision.rationale);
  return (
    <>
      <div className="page-head">
        <h1>
          Decision <span className="mono">{decisionId}</span>
        </h1>
      </div>
      <ErrorBanner error={detail.error} />
      {d !== undefined && (
        <div data-testid="decision-detail" data-decision-id={d.summary.decision_id}>
          <div className="card">
            <div className="row">
              <h2 style={{ margin: 0 }} data-testid="decision-symbol">{d.summary.symbol}</h2>
              <strong data-testid="decision-action">{d.summary.action}</strong>
              <Status value={d.summary.status} testId="decision-status" />
              <span className="spacer" />
              <span className="muted small">
                cycle <Link to={`/cycles/${d.summary.cycle_id}`} className="mono">{d.summary.cycle_id}</Link> · config v
                {d.summary.config_version} · {formatTime(d.summary.created_at)}
              </span>
            </div>
            <div className="grid grid-4" style={{ marginTop: 10 }}>
              <Stat label="Direction" value={d.summary.direction} />
              <Stat label="Size" value={`${formatDecimal(d.summary.size)} ${d.summary.size_unit}`} />
              <Stat label="Order" value={`${text(plan.order_type)} ${formatDecimal(text(plan.limit_price))}`} />
              <Stat label="Stop loss" value={formatDecimal(text(levels.stop_loss))} />
              <Stat label="Take profit" value={formatDecimal(text(levels.take_profit))} />
              <Stat label="Confidence" value={d.summary.confidence.toFixed(2)} />
              <Stat label="Strategy" value={`${text(decision.strategy_family)} · ${text(decision.time_horizon)}`} />
              <Stat label="Model" value={d.lineage.model ?? "—"} />
              <Stat label="Tokens" value={`${d.lineage.tokens_in} in / ${d.lineage.tokens_out} out`} />
              <Stat label="Cost" value={`$${d.lineage.cost_usd}`} />
              <Stat label="Latency" value={formatMs(d.lineage.latency_ms)} />
              <Stat label="Snapshot" value={d.lineage.snapshot_hash?.slice(0, 12) ?? "—"} />
            </div>
            {d.summary.reason_code !== "" && (
              <p>
                No-trade reason <code data-testid="decision-reason">{d.summary.reason_code}</code>
                {typeof d.metadata.failed_step === "string" ? ` (failed step: ${d.metadata.failed_step})` : ""}
              </p>
            )}
            {d.summary.summary !== "" && <p data-testid="decision-rationale">{d.summary.summary}</p>}
            <div className="grid grid-2">
              <Factors title="Bullish factors" items={list(rationale.bullish_factors)} />
              <Factors title="Bearish factors" items={list(rationale.bearish_factors)} />
            </div>
          </div>

          <Candles symbol={d.summary.symbol} at={d.summary.created_at} action={d.summary.action} />

          <div className="card" data-testid="agent-outputs">
            <h2>Agent outputs</h2>
            {d.agent_outputs.length === 0 && <div className="empty">No agent outputs recorded.</div>}
            {d.agent_outputs.map((o) => (
              <details key={`${o.agent}:${o.symbol}:${o.round}`} className="card" data-testid={`agent-output-${o.agent}`}>
                <summary>
                  <strong>{o.agent.replace(/_/g, " ")}</strong>
                  {o.symbol ? ` · ${o.symbol}` : ""}
                  {o.round > 0 ? ` · round ${o.round}` : ""}
                  <span className="muted small">
                    {" "}
                    · {o.model ?? "—"} · {o.tokens_in + o.tokens_out} tokens · {formatMs(o.latency_ms)}
                  </span>
                </summary>
                <JsonView value={o.output} />
              </details>
            ))}
          </div>

          <div className="card">
            <h2>Consensus rounds</h2>
            <RoundsView rounds={d.rounds} />
          </div>

          <div className="card" data-testid="constraint-results">
            <h2>Constraint results</h2>
            {d.constraints.length === 0 ? (
              <div className="empty">No constraint results recorded for this decision.</div>
            ) : (
              <JsonView value={d.constraints} />
            )}
          </div>

          <div className="card">
            <h2>Orders</h2>
            <OrdersTable rows={d.orders} />
          </div>
        </div>
      )}
    </>
  );
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string {
  if (typeof value === "string") return value.replace(/^(ORDER_TYPE|STRATEGY_FAMILY|TIME_HORIZON)_/, "");
  return value === undefined || value === null ? "—" : String(value);
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <div className="label">{label}</div>
      <div className="value" style={{ fontSize: 14 }}>{value}</div>
    </div>
  );
}

function Factors({ title, items }: { title: string; items: string[] }) {
  return (
    <div>
      <h3>{title}</h3>
      {items.length === 0 ? (
        <div className="muted">none</div>
      ) : (
        <ul>
          {items.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Candles({ symbol, at, action }: { symbol: string; at: string; action: string }) {
  const bars = useQuery(
    () => unwrap(api.GET("/api/market/snapshot", { params: { query: { symbols: symbol, bars: 120, timeframe: "1h" } } })),
    [symbol],
  );
  return (
    <div className="card">
      <h2>{symbol} candles</h2>
      <ErrorBanner error={bars.error} />
      {bars.data?.unavailable.map((u) => (
        <div key={u.symbol} className="error-banner">
          <strong className="error-code">{u.reason_code}</strong> {u.message}
        </div>
      ))}
      {bars.data?.symbols[0] !== undefined && (
        <CandleChart
          candles={bars.data.symbols[0].bars.flatMap((b) => (b.timestamp === null ? [] : [{ ...b, time: b.timestamp }]))}
          marks={[{ time: at, action }]}
        />
      )}
    </div>
  );
}
