// lightweight-charts wrappers: candles with decision markers, and the equity curve.
import {
  AreaSeries,
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type SeriesMarker,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef } from "react";

export interface Candle {
  time: string | number;
  open: string | number;
  high: string | number;
  low: string | number;
  close: string | number;
}

export interface DecisionMark {
  time: string | number;
  action: string;
  label?: string;
}

export interface EquityPoint {
  time: string | number;
  equity: string | number;
}

/** Seconds since the epoch (what the chart's time scale wants) from ISO text or a number. */
export function toChartTime(time: string | number): UTCTimestamp {
  if (typeof time === "number") return (time > 1e12 ? Math.floor(time / 1000) : time) as UTCTimestamp;
  return Math.floor(new Date(time).getTime() / 1000) as UTCTimestamp;
}

/** Sorted, one point per timestamp (the chart rejects duplicates and disorder). */
function ordered<T extends { time: UTCTimestamp }>(points: T[]): T[] {
  const byTime = new Map<number, T>();
  for (const p of points) if (Number.isFinite(p.time)) byTime.set(p.time, p);
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

const BUYISH = new Set(["BUY", "INCREASE"]);
const SELLISH = new Set(["SELL", "REDUCE", "CLOSE"]);

export function decisionMarkers(marks: DecisionMark[]): SeriesMarker<UTCTimestamp>[] {
  return ordered(marks.map((m) => ({ ...m, time: toChartTime(m.time) }))).map((m) => {
    const action = m.action.toUpperCase();
    if (BUYISH.has(action)) {
      return { time: m.time, position: "belowBar", color: "#15803d", shape: "arrowUp", text: m.label ?? action };
    }
    if (SELLISH.has(action)) {
      return { time: m.time, position: "aboveBar", color: "#b91c1c", shape: "arrowDown", text: m.label ?? action };
    }
    return { time: m.time, position: "aboveBar", color: "#6b7280", shape: "circle", text: m.label ?? action };
  });
}

function useChart(height: number): [React.RefObject<HTMLDivElement | null>, React.RefObject<IChartApi | null>] {
  const container = useRef<HTMLDivElement | null>(null);
  const chart = useRef<IChartApi | null>(null);
  useEffect(() => {
    if (container.current === null) return;
    const instance = createChart(container.current, {
      height,
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "#ffffff" }, textColor: "#374151", fontSize: 11 },
      grid: { vertLines: { color: "#f1f5f9" }, horzLines: { color: "#f1f5f9" } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    chart.current = instance;
    return () => {
      chart.current = null;
      instance.remove();
    };
  }, [height]);
  return [container, chart];
}

export function CandleChart({ candles, marks, height = 280 }: { candles: Candle[]; marks: DecisionMark[]; height?: number }) {
  const [container, chart] = useChart(height);
  useEffect(() => {
    const instance = chart.current;
    if (instance === null) return;
    const series = instance.addSeries(CandlestickSeries, {
      upColor: "#16a34a",
      downColor: "#dc2626",
      borderVisible: false,
      wickUpColor: "#16a34a",
      wickDownColor: "#dc2626",
    });
    series.setData(
      ordered(
        candles.map((c) => ({
          time: toChartTime(c.time),
          open: Number(c.open),
          high: Number(c.high),
          low: Number(c.low),
          close: Number(c.close),
        })),
      ),
    );
    const markers = createSeriesMarkers(series, decisionMarkers(marks));
    instance.timeScale().fitContent();
    return () => {
      // On unmount the chart itself is removed first (useChart's cleanup runs earlier).
      if (chart.current !== instance) return;
      markers.detach();
      instance.removeSeries(series);
    };
  }, [candles, marks, chart]);
  return <div ref={container} className="chart" style={{ height }} data-testid="candle-chart" />;
}

export function EquityChart({ points, height = 220 }: { points: EquityPoint[]; height?: number }) {
  const [container, chart] = useChart(height);
  useEffect(() => {
    const instance = chart.current;
    if (instance === null) return;
    const series = instance.addSeries(AreaSeries, {
      lineColor: "#2563eb",
      topColor: "rgba(37, 99, 235, 0.25)",
      bottomColor: "rgba(37, 99, 235, 0.02)",
      lineWidth: 2,
    });
    series.setData(ordered(points.map((p) => ({ time: toChartTime(p.time), value: Number(p.equity) }))));
    instance.timeScale().fitContent();
    return () => {
      if (chart.current === instance) instance.removeSeries(series);
    };
  }, [points, chart]);
  return <div ref={container} className="chart" style={{ height }} data-testid="equity-chart" />;
}
