// Display formatting: money and quantities arrive as decimal strings and stay exact.

/** Formats a decimal string with thousands separators, without going through a float. */
export function formatDecimal(value: string | number | null | undefined, places?: number): string {
  if (value === null || value === undefined || value === "") return "—";
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return text;
  const [, sign = "", whole = "0", fraction = ""] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let frac = fraction;
  if (places !== undefined) frac = fraction.padEnd(places, "0").slice(0, places);
  return `${sign}${grouped}${frac === "" ? "" : `.${frac}`}`;
}

/** Money with a dollar sign and 2 decimals (truncated, never rounded up). */
export function formatMoney(value: string | number | null | undefined): string {
  const text = formatDecimal(value, 2);
  if (text === "—") return text;
  return text.startsWith("-") ? `-$${text.slice(1)}` : `$${text}`;
}

/** An ISO UTC timestamp shown as `YYYY-MM-DD HH:MM:SS` UTC. */
export function formatTime(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace("T", " ").slice(0, 19);
}

/** A duration in ms as `1.2 s` / `350 ms`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
