// The account's headline numbers.
import type { Account } from "../api/types";
import { formatMoney } from "../lib/format";
import { Status } from "./Status";

export function AccountStats({ account }: { account: Account }) {
  const cells: [string, string][] = [
    ["Equity", formatMoney(account.equity)],
    ["Cash", formatMoney(account.cash)],
    ["Buying power", formatMoney(account.buying_power)],
    ["Day start equity", formatMoney(account.day_start_equity)],
    ["High-water mark", formatMoney(account.high_water_mark)],
  ];
  return (
    <div className="grid grid-4" data-testid="account-stats">
      {cells.map(([label, value]) => (
        <div key={label} className="card stat">
          <div className="label">{label}</div>
          <div className="value">{value}</div>
        </div>
      ))}
      <div className="card stat">
        <div className="label">Trading state</div>
        <div className="value">
          <Status value={account.trading_state} testId="trading-state" />
        </div>
        <div className="muted small">
          {account.environment} · {account.day_trades_5d} day trades (5d)
        </div>
      </div>
    </div>
  );
}
