// Routes: the login page outside the frame, every other page inside it behind the session.
import { Navigate, Route, Routes, useLocation } from "react-router";

import { Layout } from "./components/Layout";
import { useAuth } from "./lib/auth";
import { ConfigPage } from "./pages/ConfigPage";
import { CycleDetailPage } from "./pages/CycleDetailPage";
import { CyclesPage } from "./pages/CyclesPage";
import { DecisionDetailPage } from "./pages/DecisionDetailPage";
import { DecisionsPage } from "./pages/DecisionsPage";
import { HealthPage } from "./pages/HealthPage";
import { LoginPage } from "./pages/LoginPage";
import { OverviewPage } from "./pages/OverviewPage";
import { PortfolioPage } from "./pages/PortfolioPage";

function RequireSession({ children }: { children: React.ReactNode }) {
  const { state } = useAuth();
  const location = useLocation();
  if (state === "checking") return <div className="center muted">Checking session…</div>;
  if (state === "anonymous") {
    const next = location.pathname + location.search;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<OverviewPage />} />
        <Route path="cycles" element={<CyclesPage />} />
        <Route path="cycles/:cycleId" element={<CycleDetailPage />} />
        <Route path="decisions" element={<DecisionsPage />} />
        <Route path="decisions/:decisionId" element={<DecisionDetailPage />} />
        <Route path="portfolio" element={<PortfolioPage />} />
        <Route path="config" element={<ConfigPage />} />
        <Route path="health" element={<HealthPage />} />
        <Route path="*" element={<div className="muted">No such page.</div>} />
      </Route>
    </Routes>
  );
}
