// The equity curve's headline: where it ends and how far it moved over the window shown.

export interface CurveSummary {
  /** The last point's equity, as the API sent it (a decimal string). */
  last: string;
  /** Last minus first equity, in dollars (display only; the points stay exact strings). */
  change: number;
}

/** The summary of points ordered oldest first; null when there are none. */
export function curveSummary(points: readonly { equity: string }[]): CurveSummary | null {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return null;
  return { last: last.equity, change: Number(last.equity) - Number(first.equity) };
}
