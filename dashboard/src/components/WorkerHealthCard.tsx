// The worker's own /health, read through the API: status, what is scheduled, what ran.
import { api, unwrap } from "../api/client";
import { formatMs, formatTime } from "../lib/format";
import { record, workerJobs } from "../lib/workerHealth";
import { useQuery } from "../lib/useQuery";
import { ErrorBanner } from "./ErrorBanner";
import { Status } from "./Status";

export function WorkerHealthCard() {
  const health = useQuery(() => unwrap(api.GET("/api/system/worker-health")), [], 10_000);
  const h = health.data;
  const jobs = workerJobs(h?.report ?? null);
  const errors = record(h?.report?.errors);
  return (
    <div className="card" data-testid="worker-health">
      <div className="row">
        <h2 style={{ margin: 0 }}>Worker</h2>
        {h !== undefined && <Status value={h.status} testId="worker-status" />}
        {h !== undefined && (
          <span className="muted small">
            {h.url}
            {h.reachable ? ` · ${formatMs(Math.round(h.latency_ms))}` : ""}
            {typeof h.report?.worker_id === "string" ? ` · ${h.report.worker_id}` : ""}
          </span>
        )}
      </div>
      <ErrorBanner error={health.error} testId="worker-health-error" />
      {h?.error && (
        <div className="error-banner" role="alert" data-testid="worker-error">
          {h.error}
        </div>
      )}
      {errors !== null && Object.keys(errors).length > 0 && (
        <ul className="small">
          {Object.entries(errors).map(([name, message]) => (
            <li key={name}>
              <code>{name}</code>: {String(message)}
            </li>
          ))}
        </ul>
      )}
      {jobs.length > 0 && (
        <table data-testid="worker-jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Last run</th>
              <th>Started</th>
              <th>Next run</th>
              <th>Now</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.name}>
                <td className="mono">{job.name}</td>
                <td>{job.lastStatus === null ? "—" : <Status value={job.lastStatus} />}</td>
                <td>{formatTime(job.lastStarted)}</td>
                <td>{job.error ?? formatTime(job.nextRun)}</td>
                <td>{job.running ? <Status value="running" /> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
