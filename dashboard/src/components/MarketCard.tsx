// Candles of one universe symbol with the decisions taken on it marked.
import { useState } from "react";

import { api, unwrap } from "../api/client";
import { useQuery } from "../lib/useQuery";
import { CandleChart, type DecisionMark } from "./charts";
import { ErrorBanner } from "./ErrorBanner";

async function loadMarket(symbol: string) {
  const [snapshot, decisions] = await Promise.all([
    unwrap(api.GET("/api/market/snapshot", { params: { query: { symbols: symbol, bars: 120, timeframe: "1h" } } })),
    unwrap(api.GET("/api/decisions", { params: { query: { symbol, limit: 100 } } })),
  ]);
  const entry = snapshot.symbols[0];
  const candles = (entry?.bars ?? []).flatMap((b) => (b.timestamp === null ? [] : [{ ...b, time: b.timestamp }]));
  const first = candles[0]?.time;
  // Markers only inside the candles' window; older decisions would stretch the time scale.
  const marks: DecisionMark[] = decisions.items
    .filter((d) => first === undefined || d.created_at >= first)
    .map((d) => ({ time: d.created_at, action: d.action }));
  return { candles, marks, regime: entry?.regime ?? null, unavailable: snapshot.unavailable };
}

export function MarketCard({ symbols }: { symbols: string[] }) {
  const [picked, setPicked] = useState<string | null>(null);
  const symbol = picked ?? symbols[0] ?? null;
  const market = useQuery(() => (symbol === null ? Promise.resolve(null) : loadMarket(symbol)), [symbol], 60_000);
  return (
    <div className="card" data-testid="market-card">
      <div className="row">
        <h2 style={{ margin: 0 }}>Market</h2>
        <select value={symbol ?? ""} onChange={(e) => setPicked(e.target.value)} data-testid="market-symbol">
          {symbols.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        {market.data?.regime && <span className="badge">{market.data.regime}</span>}
        <span className="muted small">1h candles · arrows mark decisions</span>
      </div>
      <ErrorBanner error={market.error} />
      {market.data?.unavailable.map((u) => (
        <div key={u.symbol} className="error-banner">
          <strong className="error-code">{u.reason_code}</strong> {u.message}
        </div>
      ))}
      {market.data && market.data.candles.length > 0 && <CandleChart candles={market.data.candles} marks={market.data.marks} />}
    </div>
  );
}
