// System health: the API's own checks (database, engine) and the worker's, refreshed every 10 s.
import { api, unwrap } from "../api/client";
import { asApiError } from "../api/errors";
import type { Health } from "../api/types";
import { ErrorBanner } from "../components/ErrorBanner";
import { JsonView } from "../components/JsonView";
import { Status } from "../components/Status";
import { WorkerHealthCard } from "../components/WorkerHealthCard";
import { useQuery } from "../lib/useQuery";

/** A degraded service answers 503 with the same body: show it, it says what is down. */
async function loadHealth(): Promise<Health> {
  try {
    return await unwrap(api.GET("/health"));
  } catch (cause) {
    const error = asApiError(cause);
    const body = error.details;
    if (error.status === 503 && typeof body === "object" && body !== null && "checks" in body) return body as Health;
    throw error;
  }
}

export function HealthPage() {
  const health = useQuery(loadHealth, [], 10_000);
  const h = health.data;
  return (
    <>
      <div className="page-head">
        <h1>System health</h1>
        <button type="button" onClick={health.reload}>
          Refresh
        </button>
      </div>
      <ErrorBanner error={health.error} />
      {h !== undefined && (
        <>
          <div className="card row" data-testid="health-status">
            <strong>Overall</strong> <Status value={h.status} />
            <span className="muted small">
              {h.environment} · up {Math.round(h.uptime_s)} s · {h.websocket_clients} live client(s)
            </span>
          </div>
          <div className="card">
            <h2>Checks</h2>
            <table data-testid="health-checks">
              <thead>
                <tr>
                  <th>Check</th>
                  <th>Status</th>
                  <th className="num">Latency</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(h.checks).map(([name, check]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>
                      <Status value={check.status} />
                    </td>
                    <td className="num">{check.latency_ms.toFixed(1)} ms</td>
                    <td className="small">{check.error ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <WorkerHealthCard />
      {h !== undefined && (
        <div className="card">
          <h2>Raw</h2>
          <JsonView value={h} />
        </div>
      )}
    </>
  );
}
