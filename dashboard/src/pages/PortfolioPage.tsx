// Portfolio and orders: the account, positions and the order blotter with filters.
import { useCallback, useState } from "react";

import { api, unwrap } from "../api/client";
import { AccountStats } from "../components/AccountStats";
import { ErrorBanner } from "../components/ErrorBanner";
import { OrdersTable } from "../components/OrdersTable";
import { PositionsTable } from "../components/PositionsTable";
import { useLive } from "../lib/useLive";
import { useQuery } from "../lib/useQuery";

export function PortfolioPage() {
  const portfolio = useQuery(() => unwrap(api.GET("/api/portfolio")), [], 30_000);
  const [symbol, setSymbol] = useState("");
  const [status, setStatus] = useState("");
  const orders = useQuery(
    () =>
      unwrap(
        api.GET("/api/orders", {
          params: { query: { limit: 100, symbol: symbol.trim().toUpperCase() || undefined, status: status || undefined } },
        }),
      ),
    [symbol, status],
  );
  const reloadOrders = orders.reload;
  const reloadPortfolio = portfolio.reload;
  useLive("DECISIONS", useCallback((event) => {
    if (event.type.startsWith("orders.")) {
      reloadOrders();
      reloadPortfolio();
    }
  }, [reloadOrders, reloadPortfolio]));

  return (
    <>
      <div className="page-head">
        <h1>Portfolio &amp; orders</h1>
      </div>
      <ErrorBanner error={portfolio.error} />
      {portfolio.data !== undefined && <AccountStats account={portfolio.data.account} />}
      <div className="card" style={{ marginTop: 12 }}>
        <h2>Positions</h2>
        {portfolio.data !== undefined && <PositionsTable rows={portfolio.data.positions} />}
      </div>
      <div className="card">
        <div className="filters">
          <h2 style={{ margin: 0 }}>Orders</h2>
          <span className="spacer" />
          <label>
            Symbol
            <input value={symbol} onChange={(e) => setSymbol(e.target.value)} size={8} />
          </label>
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.target.value)}>
              {["", "new", "pending_new", "accepted", "partially_filled", "filled", "pending_cancel", "canceled", "replaced", "rejected", "expired"].map((s) => (
                <option key={s} value={s}>
                  {s || "any"}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorBanner error={orders.error} />
        {orders.data !== undefined && <OrdersTable rows={orders.data.items} />}
      </div>
    </>
  );
}
