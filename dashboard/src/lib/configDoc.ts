// The config document as the editor sees it: flat dotted paths, typed edits, diffs.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Change {
  key: string;
  old: unknown;
  new: unknown;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every leaf of `doc` keyed by its dotted path (arrays are leaves). */
export function flatten(doc: Json, prefix = ""): Map<string, Json> {
  const out = new Map<string, Json>();
  if (isObject(doc)) {
    for (const [key, value] of Object.entries(doc)) {
      const path = prefix === "" ? key : `${prefix}.${key}`;
      for (const [k, v] of flatten(value, path)) out.set(k, v);
    }
    if (Object.keys(doc).length === 0 && prefix !== "") out.set(prefix, doc);
  } else {
    out.set(prefix, doc);
  }
  return out;
}

/** What changes from `before` to `after`, one entry per leaf, in `after`'s order. */
export function diffDocuments(before: Json, after: Json): Change[] {
  const a = flatten(before);
  const b = flatten(after);
  const changes: Change[] = [];
  for (const [key, value] of b) {
    const old = a.get(key);
    if (JSON.stringify(old) !== JSON.stringify(value)) changes.push({ key, old, new: value });
  }
  for (const [key, value] of a) if (!b.has(key)) changes.push({ key, old: value, new: undefined });
  return changes;
}

/**
 * Turns what the user typed into the JSON value for a field, guided by the field's current
 * value. Text that does not parse as the expected type is kept as text, so the API's
 * validation reports it next to the field instead of the editor silently guessing.
 */
export function parseInput(raw: string, like: Json): Json {
  const text = raw.trim();
  if (typeof like === "number") {
    return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : raw;
  }
  if (typeof like === "boolean") return text === "true" ? true : text === "false" ? false : raw;
  if (Array.isArray(like) && like.every((item) => typeof item !== "object" || item === null)) {
    if (text === "") return [];
    const numeric = like.length > 0 && like.every((item) => typeof item === "number");
    return text.split(",").map((part) => {
      const item = part.trim();
      return numeric && /^-?\d+(\.\d+)?$/.test(item) ? Number(item) : item;
    });
  }
  if (Array.isArray(like) || isObject(like)) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      return raw;
    }
  }
  if (like === null) return text === "" ? null : raw;
  return raw;
}

/** The text an input shows for a value. */
export function formatInput(value: Json | undefined): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value) && value.every((item) => typeof item !== "object" || item === null)) {
    return value.map(String).join(", ");
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A copy of `doc` with the leaf at dotted `path` replaced. */
export function setPath(doc: JsonObject, path: string, value: Json): JsonObject {
  const [head, ...rest] = path.split(".");
  if (head === undefined) return doc;
  if (rest.length === 0) return { ...doc, [head]: value };
  const child = doc[head];
  return { ...doc, [head]: setPath(isObject(child) ? child : {}, rest.join("."), value) };
}

/** Field problems grouped by path; a problem on a parent (e.g. `risk`) stays on that path. */
export function problemsByPath(problems: { field: string; message: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { field, message } of problems) {
    const list = out.get(field) ?? [];
    list.push(message);
    out.set(field, list);
  }
  return out;
}
