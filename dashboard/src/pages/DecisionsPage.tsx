// Decision history with filters (symbol, action, status, cycle, time range) and paging.
import { useCallback, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";

import { api, unwrap } from "../api/client";
import type { paths } from "../api/schema";
import { DecisionTable } from "../components/DecisionTable";
import { ErrorBanner } from "../components/ErrorBanner";
import { useLive } from "../lib/useLive";
import { useQuery } from "../lib/useQuery";

const ACTIONS = ["", "BUY", "SELL", "HOLD", "INCREASE", "REDUCE", "CLOSE", "NO_TRADE"];
type StatusFilter = NonNullable<NonNullable<paths["/api/decisions"]["get"]["parameters"]["query"]>["status"]>;
const STATUSES: readonly StatusFilter[] = ["proposed", "approved", "rejected", "executed", "cancelled", "no_trade"];
const isStatus = (value: string): value is StatusFilter => (STATUSES as readonly string[]).includes(value);
const FILTERS = ["symbol", "action", "status", "cycle_id", "from", "to"] as const;
const PAGE = 50;

export function DecisionsPage() {
  const [params, setParams] = useSearchParams();
  const value = (key: string) => params.get(key) ?? "";
  const cursor = params.get("cursor") ?? undefined;
  const query = {
    limit: PAGE,
    symbol: value("symbol") || undefined,
    action: value("action") || undefined,
    status: isStatus(value("status")) ? value("status") as StatusFilter : undefined,
    cycle_id: value("cycle_id") || undefined,
    from: value("from") ? new Date(value("from")).toISOString() : undefined,
    to: value("to") ? new Date(value("to")).toISOString() : undefined,
    cursor,
  };
  const decisions = useQuery(() => unwrap(api.GET("/api/decisions", { params: { query } })), [params.toString()]);
  const { reload } = decisions;
  // New decisions appear on the first page as they are made; later pages stay put.
  useLive("DECISIONS", useCallback((event) => {
    if (event.type === "decision.made" && cursor === undefined) reload();
  }, [reload, cursor]));
  const [draft, setDraft] = useState<Record<string, string>>(() =>
    Object.fromEntries(FILTERS.map((k) => [k, value(k)])),
  );

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTERS) {
      const v = (draft[key] ?? "").trim();
      if (v !== "") next.set(key, key === "symbol" ? v.toUpperCase() : v);
    }
    setParams(next);
  }

  function page(nextCursor: string | null) {
    const next = new URLSearchParams(params);
    if (nextCursor === null) next.delete("cursor");
    else next.set("cursor", nextCursor);
    setParams(next);
  }

  const set = (key: string) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });

  return (
    <>
      <div className="page-head">
        <h1>Decisions</h1>
      </div>
      <form className="card filters" onSubmit={apply} data-testid="decision-filters">
        <label>
          Symbol
          <input value={draft.symbol ?? ""} onChange={set("symbol")} size={8} data-testid="filter-symbol" />
        </label>
        <label>
          Action
          <select value={draft.action ?? ""} onChange={set("action")} data-testid="filter-action">
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={draft.status ?? ""} onChange={set("status")} data-testid="filter-status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Cycle id
          <input value={draft.cycle_id ?? ""} onChange={set("cycle_id")} size={20} data-testid="filter-cycle" />
        </label>
        <label>
          From (local)
          <input type="datetime-local" value={draft.from ?? ""} onChange={set("from")} />
        </label>
        <label>
          To (local)
          <input type="datetime-local" value={draft.to ?? ""} onChange={set("to")} />
        </label>
        <button type="submit" className="primary" data-testid="filter-apply">
          Apply
        </button>
        <button type="button" onClick={() => { setDraft({}); setParams(new URLSearchParams()); }}>
          Clear
        </button>
      </form>
      <div className="card">
        <ErrorBanner error={decisions.error} />
        {decisions.loading && decisions.data === undefined ? (
          <div className="muted">Loading…</div>
        ) : (
          <DecisionTable rows={decisions.data?.items ?? []} />
        )}
        <div className="pager">
          <button type="button" disabled={cursor === undefined} onClick={() => page(null)}>
            First page
          </button>
          <button
            type="button"
            disabled={!decisions.data?.next_cursor}
            onClick={() => page(decisions.data?.next_cursor ?? null)}
            data-testid="next-page"
          >
            Next page
          </button>
          <span className="muted small">{decisions.data?.items.length ?? 0} shown</span>
        </div>
      </div>
    </>
  );
}
