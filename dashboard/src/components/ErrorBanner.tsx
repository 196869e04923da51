// Shows an API error as the user needs it: code, message, field problems, correlation id.
import type { ApiError } from "../api/errors";

interface Props {
  error: ApiError | null;
  testId?: string;
}

export function ErrorBanner({ error, testId = "api-error" }: Props) {
  if (error === null) return null;
  const problems = error.fieldProblems;
  return (
    <div className="error-banner" role="alert" data-testid={testId} data-code={error.code}>
      <div>
        <strong className="error-code">{error.code}</strong> {error.message.split("\n")[0]}
      </div>
      {problems.length > 0 && (
        <ul>
          {problems.map((p) => (
            <li key={`${p.field}:${p.message}`}>
              <code>{p.field}</code>: {p.message}
            </li>
          ))}
        </ul>
      )}
      {error.correlationId !== null && <div className="muted small">correlation id {error.correlationId}</div>}
    </div>
  );
}
