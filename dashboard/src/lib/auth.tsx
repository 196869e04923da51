// Session state: who is logged in, the CSRF token, login and logout.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { api, onUnauthorized, setCsrfToken, unwrap } from "../api/client";
import { live } from "../api/live";
import { readCookie } from "./cookies";

export type SessionState = "checking" | "anonymous" | "authenticated";

/** The readable cookie the API sets next to the httpOnly session (double submit). */
const CSRF_COOKIE = "cream_csrf";

interface AuthValue {
  state: SessionState;
  actor: string | null;
  environment: string | null;
  login: (token: string, actor: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>("checking");
  const [actor, setActor] = useState<string | null>(null);
  const [environment, setEnvironment] = useState<string | null>(null);

  const leave = useCallback(() => {
    setCsrfToken(null);
    setActor(null);
    setState("anonymous");
    live.stop();
  }, []);

  const enter = useCallback(async (csrf: string | null) => {
    setCsrfToken(csrf);
    const session = await unwrap(api.GET("/api/auth/session"));
    setActor(session.actor);
    setEnvironment(session.environment);
    setState("authenticated");
    live.start();
  }, []);

  // A reload loses the in-memory CSRF token; the readable cookie hands it back.
  useEffect(() => {
    enter(readCookie(CSRF_COOKIE)).catch(leave);
  }, [enter, leave]);

  useEffect(() => onUnauthorized(leave), [leave]);

  const login = useCallback(
    async (token: string, who: string) => {
      const session = await unwrap(api.POST("/api/auth/login", { body: { token, actor: who } }));
      await enter(session.csrf_token);
    },
    [enter],
  );

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/auth/logout"));
    } finally {
      leave();
    }
  }, [leave]);

  const value = useMemo(
    () => ({ state, actor, environment, login, logout }),
    [state, actor, environment, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error("useAuth outside AuthProvider");
  return value;
}
