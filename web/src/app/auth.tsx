// Who is logged in: loads /auth/me at start, logs in and out, and answers permission questions for menus and pages.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api/client';
import type { AuthUser, LoginRequest, LoginResponse, MeResponse } from '../api/wire';

export interface AuthState {
  /** undefined while loading, null when logged out. */
  user: AuthUser | null | undefined;
  /** The administrator requires TOTP and this user has none: the session may only enrol and log out. */
  totpEnrolmentRequired: boolean;
  /** A note for the login page after a logout the console chose (e.g. "log in again with a code"). */
  notice: string;
  login(req: LoginRequest): Promise<void>;
  logout(notice?: string): Promise<void>;
  can(permission: string): boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<AuthUser | null | undefined>(undefined);
  const [totpEnrolmentRequired, setTotpEnrolmentRequired] = useState(false);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    let cancelled = false;
    const off = api.onUnauthenticated(() => {
      api.setCsrfToken(null);
      rememberSession(false);
      setUser(null);
    });
    // A browser that never logged in (or logged out) goes straight to the login page, without a 401 in its console.
    if (!hadSession()) setUser(null);
    else
      api
        .get<MeResponse>('/auth/me')
        .then((me) => {
          if (cancelled) return;
          api.setCsrfToken(me.csrfToken);
          setTotpEnrolmentRequired(!!me.totpEnrolmentRequired);
          setUser(me.user);
        })
        .catch(() => {
          if (!cancelled) setUser(null);
        });
    return () => {
      cancelled = true;
      off();
    };
  }, []);

  const login = useCallback(async (req: LoginRequest) => {
    const res = await api.post<LoginResponse>('/auth/login', req);
    api.setCsrfToken(res.csrfToken);
    rememberSession(true);
    setNotice('');
    setTotpEnrolmentRequired(!!res.totpEnrolmentRequired);
    setUser(res.user);
  }, []);

  const logout = useCallback(async (next = '') => {
    try {
      await api.post('/auth/logout');
    } catch (err) {
      // Already logged out on the server is as good as logged out.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    } finally {
      api.setCsrfToken(null);
      rememberSession(false);
      setTotpEnrolmentRequired(false);
      setNotice(next);
      setUser(null);
    }
  }, []);

  const value = useMemo<AuthState>(
    () => ({ user, totpEnrolmentRequired, notice, login, logout, can: (p) => !!user?.permissions.includes(p) }),
    [user, totpEnrolmentRequired, notice, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** True when a login failure asks for the one-time code (TOTP) rather than refusing the password. */
export function needsTotp(err: unknown): boolean {
  if (!(err instanceof ApiError) || !err.problem) return false;
  const p = err.problem;
  if (p.totpRequired === true || p.code === 'totp_required' || (typeof p.type === 'string' && /totp/i.test(p.type))) return true;
  return /\b(totp|one-time|authenticator code|two-factor|2fa)\b/i.test(`${p.title} ${p.detail ?? ''}`) && /requir/i.test(`${p.title} ${p.detail ?? ''}`);
}

const SESSION_HINT = 'vigil.session';

/** Whether this browser may hold a session cookie (it is HttpOnly, so JavaScript cannot look at it). */
function hadSession(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === '1';
  } catch {
    return true;
  }
}

function rememberSession(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT, '1');
    else localStorage.removeItem(SESSION_HINT);
  } catch {
    // Storage disabled: the console then always asks the server.
  }
}
