// Cycles: trigger one (symbols, draft or active config), watch it run, and the history.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import { CycleProgress } from "../components/CycleProgress";
import { ErrorBanner } from "../components/ErrorBanner";
import { Status } from "../components/Status";
import { formatMs, formatTime } from "../lib/format";
import { useLive } from "../lib/useLive";
import { useQuery } from "../lib/useQuery";

export function CyclesPage() {
  const [params, setParams] = useSearchParams();
  const watching = params.get("watch");
  const [active, setActive] = useState(false);
  // While a cycle is queued or running the list refreshes itself; events also trigger reads.
  const cycles = useQuery(
    () => unwrap(api.GET("/api/cycles", { params: { query: { limit: 25 } } })),
    [],
    active ? 3000 : undefined,
  );
  const { reload } = cycles;
  // The cycle on display stays after it finishes; a newer one (scheduled, or another
  // operator's) takes its place when it starts, unless the URL pins one.
  const [followed, setFollowed] = useState<string | null>(null);
  // A thin event says something changed; the list is re-read over REST.
  useLive("CYCLES", useCallback((event) => {
    if (event.type === "cycle.started" && typeof event.payload.cycle_id === "string") {
      setFollowed(event.payload.cycle_id);
    }
    if (event.type !== "cycle.stage") reload();
  }, [reload]));

  const running = cycles.data?.items.find((c) => c.status === "running" || c.status === "queued");
  useEffect(() => {
    setActive(running !== undefined);
    if (running !== undefined) setFollowed((current) => current ?? running.cycle_id);
  }, [running]);
  const shown = watching ?? followed;

  return (
    <>
      <div className="page-head">
        <h1>Cycles</h1>
      </div>
      <TriggerForm onTriggered={(id) => { setParams({ watch: id }); reload(); }} />
      {shown !== null && <CycleProgress key={shown} cycleId={shown} onFinished={reload} />}
      <div className="card">
        <h2>Recent cycles</h2>
        <ErrorBanner error={cycles.error} />
        <table data-testid="cycles-table">
          <thead>
            <tr>
              <th>Cycle</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Symbols</th>
              <th className="num">Config</th>
              <th>Started (UTC)</th>
              <th className="num">Wall</th>
            </tr>
          </thead>
          <tbody>
            {cycles.data?.items.map((c) => (
              <tr key={c.cycle_id} data-testid="cycle-row">
                <td className="mono">
                  <Link to={`/cycles/${c.cycle_id}`}>{c.cycle_id}</Link>
                </td>
                <td>
                  <Status value={c.status} />
                </td>
                <td>{c.trigger}{c.use_draft ? " (draft)" : ""}</td>
                <td>{c.symbols.join(", ") || <span className="muted">universe</span>}</td>
                <td className="num">{c.config_version}</td>
                <td>{formatTime(c.started_at ?? c.requested_at)}</td>
                <td className="num">{formatMs(c.wall_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {cycles.data?.items.length === 0 && <div className="empty">No cycles yet.</div>}
      </div>
    </>
  );
}

function TriggerForm({ onTriggered }: { onTriggered: (cycleId: string) => void }) {
  const active = useQuery(() => unwrap(api.GET("/api/config/active")), []);
  const universe = symbolsOf(active.data?.data);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [useDraft, setUseDraft] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  function toggle(symbol: string) {
    const next = new Set(picked);
    if (next.has(symbol)) next.delete(symbol);
    else next.add(symbol);
    setPicked(next);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const symbols = picked.size > 0 ? universe.filter((s) => picked.has(s)) : null;
      // Without a pick the whole universe of the chosen config runs.
      const accepted = await unwrap(
        api.POST("/api/system/trigger-cycle", { body: { symbols, use_draft: useDraft } }),
      );
      onTriggered(accepted.cycle_id);
    } catch (cause) {
      setError(asApiError(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={(e) => void submit(e)} data-testid="trigger-form">
      <h2>Run a cycle now</h2>
      <ErrorBanner error={active.error} />
      <div className="symbols" data-testid="symbol-picker">
        {universe.map((symbol) => (
          <label key={symbol} className="inline">
            <input
              type="checkbox"
              checked={picked.has(symbol)}
              onChange={() => toggle(symbol)}
              data-testid={`symbol-${symbol}`}
            />
            {symbol}
          </label>
        ))}
      </div>
      <p className="muted small">
        {picked.size === 0 ? "No symbol picked: the whole universe of the config runs." : `${picked.size} symbol(s) picked.`}
      </p>
      <div className="row">
        <label className="inline">
          <input type="checkbox" checked={useDraft} onChange={(e) => setUseDraft(e.target.checked)} data-testid="use-draft" />
          use the draft config
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="trigger-cycle">
          {busy ? "Requesting…" : "Trigger cycle"}
        </button>
      </div>
      <ErrorBanner error={error} testId="trigger-error" />
    </form>
  );
}

/** The universe's symbols from a config document (empty when it has none). */
function symbolsOf(document: unknown): string[] {
  if (typeof document !== "object" || document === null) return [];
  const universe = (document as Record<string, unknown>).universe;
  if (typeof universe !== "object" || universe === null) return [];
  const symbols = (universe as Record<string, unknown>).symbols;
  return Array.isArray(symbols) ? symbols.filter((s): s is string => typeof s === "string") : [];
}
