// Open positions with their unrealized P&L.
import type { Position } from "../api/types";
import { formatDecimal, formatMoney } from "../lib/format";


export function PositionsTable({ rows }: { rows: Position[] }) {
  if (rows.length === 0) return <div className="empty">No open positions.</div>;
  return (
    <table data-testid="positions-table">
      <thead>
        <tr>
          <th>Symbol</th>
          <th>Side</th>
          <th className="num">Qty</th>
          <th className="num">Avg entry</th>
          <th className="num">Market value</th>
          <th className="num">Unrealized P&amp;L</th>
          <th className="num">Stop</th>
          <th className="num">Target</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr key={p.symbol} data-testid="position-row">
            <td>
              <strong>{p.symbol}</strong>
            </td>
            <td>{p.quantity.startsWith("-") ? "short" : "long"} <span className="muted small">{p.instrument_type}</span></td>
            <td className="num">{formatDecimal(p.quantity)}</td>
            <td className="num">{formatMoney(p.avg_entry_price)}</td>
            <td className="num">{formatMoney(p.market_value)}</td>
            <td className="num">{formatMoney(p.unrealized_pnl)}</td>
            <td className="num">{formatDecimal(p.stop_loss)}</td>
            <td className="num">{formatDecimal(p.take_profit)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
