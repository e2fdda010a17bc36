// Calls of the caller's own two-factor authentication (TOTP): status, start and confirm an enrolment, turn it off.

import { api } from './client';
import type { TotpConfirmResponse, TotpStart, TotpStatus } from './wire';

export const totpApi = {
  status(): Promise<TotpStatus> {
    return api.get<TotpStatus>('/me/totp');
  },
  /** Starts (or restarts) an enrolment; the secret and URI are shown once. */
  start(): Promise<TotpStart> {
    return api.post<TotpStart>('/me/totp');
  },
  confirm(code: string): Promise<TotpConfirmResponse> {
    return api.post<TotpConfirmResponse>('/me/totp/confirm', { code });
  },
  disable(code: string): Promise<unknown> {
    return api.delete('/me/totp', { code });
  },
};
