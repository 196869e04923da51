// Orders: what was sent to the broker and where each order stands.
import type { Order } from "../api/types";
import { formatDecimal, formatTime } from "../lib/format";
import { Status } from "./Status";


export function OrdersTable({ rows }: { rows: Order[] }) {
  if (rows.length === 0) return <div className="empty">No orders.</div>;
  return (
    <table data-testid="orders-table">
      <thead>
        <tr>
          <th>Time (UTC)</th>
          <th>Symbol</th>
          <th>Side</th>
          <th>Type</th>
          <th className="num">Qty</th>
          <th className="num">Filled</th>
          <th className="num">Limit</th>
          <th className="num">Avg fill</th>
          <th>Status</th>
          <th>Client order id</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((o) => (
          <tr key={o.order_id} data-testid="order-row">
            <td>{formatTime(o.created_at)}</td>
            <td>
              <strong>{o.symbol}</strong>
            </td>
            <td>{o.side}</td>
            <td>{o.order_type} <span className="muted small">{o.time_in_force}</span></td>
            <td className="num">{formatDecimal(o.quantity)}</td>
            <td className="num">{formatDecimal(o.cum_qty)}</td>
            <td className="num">{formatDecimal(o.limit_price)}</td>
            <td className="num">{formatDecimal(o.avg_fill_price)}</td>
            <td>
              <Status value={o.status} />
            </td>
            <td className="mono small" title={o.reject_reason}>{o.client_order_id}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
