// The frame around every page: navigation, live-connection badge, who is logged in.
import { NavLink, Outlet, useLocation } from "react-router";

import { useAuth } from "../lib/auth";
import { useLiveStatus } from "../lib/useLive";
import { ErrorBoundary } from "./ErrorBoundary";
import { Status } from "./Status";

const NAV = [
  { to: "/", label: "Overview", id: "overview" },
  { to: "/cycles", label: "Cycles", id: "cycles" },
  { to: "/decisions", label: "Decisions", id: "decisions" },
  { to: "/portfolio", label: "Portfolio & orders", id: "portfolio" },
  { to: "/config", label: "Config", id: "config" },
  { to: "/health", label: "System health", id: "health" },
] as const;

export function Layout() {
  const { actor, environment, logout } = useAuth();
  const status = useLiveStatus();
  const location = useLocation();
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          Cream <span className="badge" data-testid="environment">{environment ?? ""}</span>
        </div>
        <nav>
          {NAV.map((item) => (
            <NavLink key={item.id} to={item.to} end={item.to === "/"} data-testid={`nav-${item.id}`}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-foot">
          <div>
            live <Status value={status} testId="ws-status" />
          </div>
          {actor !== null && <div className="muted small">signed in as {actor}</div>}
          <button type="button" className="link" data-testid="logout" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </aside>
      <main className="content">
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}
