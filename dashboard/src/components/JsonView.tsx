// Pretty JSON for agent outputs and plans: collapsed by default when long.
import { useState } from "react";

interface Props {
  value: unknown;
  testId?: string;
  collapsedLines?: number;
}

export function JsonView({ value, testId, collapsedLines = 24 }: Props) {
  const text = typeof value === "string" ? tryPretty(value) : JSON.stringify(value, null, 2);
  const lines = (text ?? "null").split("\n");
  const [open, setOpen] = useState(lines.length <= collapsedLines);
  return (
    <div className="json-view" data-testid={testId}>
      <pre>{open ? text : lines.slice(0, collapsedLines).join("\n") + "\n…"}</pre>
      {lines.length > collapsedLines && (
        <button type="button" className="link" onClick={() => setOpen(!open)}>
          {open ? "collapse" : `show all ${lines.length} lines`}
        </button>
      )}
    </div>
  );
}

function tryPretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
