// Loads data for a page: loading / data / error, reload on demand, optional polling.
import { useCallback, useEffect, useRef, useState } from "react";

import { asApiError, type ApiError } from "../api/errors";

export interface Query<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when `deps` change (and every `pollMs` if given). A stale response (deps
 * changed meanwhile) is dropped, so filters never show the previous filter's rows.
 */
export function useQuery<T>(load: () => Promise<T>, deps: readonly unknown[], pollMs?: number): Query<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const mine = ++generation.current;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (cause: unknown) => {
        if (mine !== generation.current) return;
        setError(asApiError(cause));
        setLoading(false);
      },
    );
  }, [...deps, tick]);

  useEffect(() => {
    if (pollMs === undefined) return;
    const timer = window.setInterval(() => setTick((t) => t + 1), pollMs);
    return () => window.clearInterval(timer);
  }, [pollMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
