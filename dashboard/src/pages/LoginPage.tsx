// Exchanges the API token for a session cookie.
import { useState, type FormEvent } from "react";
import { Navigate, useSearchParams } from "react-router";

import { asApiError, type ApiError } from "../api/errors";
import { ErrorBanner } from "../components/ErrorBanner";
import { useAuth } from "../lib/auth";

export function LoginPage() {
  const { state, login } = useAuth();
  const [params] = useSearchParams();
  const [token, setToken] = useState("");
  const [actor, setActor] = useState(() => localStorage.getItem("cream.actor") ?? "dashboard");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const next = params.get("next") ?? "/";

  if (state === "authenticated") return <Navigate to={next.startsWith("/") ? next : "/"} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      localStorage.setItem("cream.actor", actor.trim());
      await login(token.trim(), actor.trim());
    } catch (cause) {
      setError(asApiError(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login">
      <form className="card login-card" onSubmit={(e) => void submit(e)}>
        <h1>Cream</h1>
        <p className="muted">
          Paste the API token (<code>CREAM_API_TOKEN</code>, or the one <code>cream up</code> printed).
        </p>
        <label>
          API token
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            data-testid="login-token"
            autoFocus
          />
        </label>
        <label>
          Your name (recorded in the audit log)
          <input value={actor} onChange={(e) => setActor(e.target.value)} data-testid="login-actor" />
        </label>
        <button type="submit" className="primary" disabled={busy || token.trim() === "" || actor.trim() === ""} data-testid="login-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <ErrorBanner error={error} testId="login-error" />
      </form>
    </div>
  );
}
