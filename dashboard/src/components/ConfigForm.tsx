// The draft editor: one input per config leaf, each with its validation problems inline.
import { useState } from "react";

import { formatInput, isObject, parseInput, setPath, type Json, type JsonObject } from "../lib/configDoc";

interface Props {
  document: JsonObject;
  problems: Map<string, string[]>;
  onChange: (next: JsonObject) => void;
}

export function ConfigForm({ document, problems, onChange }: Props) {
  const rootProblems = problems.get("(document)") ?? [];
  return (
    <div data-testid="config-form">
      {rootProblems.map((m) => (
        <div key={m} className="field-error">
          {m}
        </div>
      ))}
      {sections(document).map(([key, value]) => (
        <Section key={key} path={key} value={value} problems={problems} root={document} onChange={onChange} />
      ))}
    </div>
  );
}

// The document's own order (what a cycle reads first), not the API's alphabetical one.
const SECTION_ORDER = ["trading", "universe", "risk", "agents"];

function sections(document: JsonObject): [string, Json][] {
  const rank = (key: string) => {
    const index = SECTION_ORDER.indexOf(key);
    return index === -1 ? SECTION_ORDER.length : index;
  };
  return Object.entries(document).sort(([a], [b]) => rank(a) - rank(b));
}

interface SectionProps {
  path: string;
  value: Json;
  problems: Map<string, string[]>;
  root: JsonObject;
  onChange: (next: JsonObject) => void;
}

function Section({ path, value, problems, root, onChange }: SectionProps) {
  const name = path.split(".").pop() ?? path;
  if (!isObject(value)) {
    return <Field path={path} value={value} problems={problems} root={root} onChange={onChange} />;
  }
  const leaves = Object.entries(value).filter(([, v]) => !isObject(v));
  const children = Object.entries(value).filter(([, v]) => isObject(v));
  const own = problems.get(path) ?? [];
  return (
    <fieldset className="form-section" data-testid={`config-section-${path}`}>
      <legend>{name.replace(/_/g, " ")}</legend>
      {own.map((m) => (
        <div key={m} className="field-error" data-testid={`config-error-${path}`}>
          {m}
        </div>
      ))}
      {leaves.length > 0 && (
        <div className="form-grid">
          {leaves.map(([key, v]) => (
            <Field key={key} path={`${path}.${key}`} value={v} problems={problems} root={root} onChange={onChange} />
          ))}
        </div>
      )}
      {children.map(([key, v]) => (
        <Section key={key} path={`${path}.${key}`} value={v} problems={problems} root={root} onChange={onChange} />
      ))}
    </fieldset>
  );
}

function Field({ path, value, problems, root, onChange }: SectionProps) {
  const [text, setText] = useState(formatInput(value));
  const [typed, setTyped] = useState<Json>(value);
  // The field's type is taken from the value it had when the editor opened (or was reset).
  const [like] = useState<Json>(value);
  const name = path.split(".").pop() ?? path;
  const own = problems.get(path) ?? [];
  const wide = Array.isArray(like) || isObject(like);
  // A reset from outside (reload, discard) replaces the value: show it.
  if (JSON.stringify(value) !== JSON.stringify(typed)) {
    setTyped(value);
    setText(formatInput(value));
  }
  const commit = (raw: string) => {
    setText(raw);
    const next = parseInput(raw, like);
    setTyped(next);
    onChange(setPath(root, path, next));
  };
  return (
    <label className={wide ? "wide" : undefined} title={path}>
      <span>{name.replace(/_/g, " ")}</span>
      {typeof like === "boolean" ? (
        <input
          type="checkbox"
          checked={typed === true}
          onChange={(e) => commit(e.target.checked ? "true" : "false")}
          data-testid={`config-field-${path}`}
          aria-invalid={own.length > 0}
        />
      ) : (
        <input
          type="text"
          value={text}
          onChange={(e) => commit(e.target.value)}
          data-testid={`config-field-${path}`}
          aria-invalid={own.length > 0}
          inputMode={typeof like === "number" ? "decimal" : undefined}
          spellCheck={false}
        />
      )}
      {own.map((m) => (
        <span key={m} className="field-error" data-testid={`config-error-${path}`}>
          {m}
        </span>
      ))}
    </label>
  );
}
