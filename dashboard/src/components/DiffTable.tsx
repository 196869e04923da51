// A config diff: one row per changed field.
import type { Change } from "../lib/configDoc";

function show(value: unknown): string {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

export function DiffTable({ changes, testId = "config-diff" }: { changes: Change[]; testId?: string }) {
  if (changes.length === 0) return <div className="empty" data-testid={testId}>No differences.</div>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Field</th>
          <th>Active</th>
          <th>Draft</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.key} data-testid="diff-row" data-key={c.key}>
            <td className="mono">{c.key}</td>
            <td className="mono diff-old">{show(c.old)}</td>
            <td className="mono diff-new">{show(c.new)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
