// Calls of the administration pages (users, roles, vault, settings) and of the session-block report.

import { api } from './client';
import type { Credential, Device, Grant, Role, SessionBlockItem, SettingKey, Settings, User } from './wire';

/** Lists come as {items} (or, from older servers, a bare array); both are accepted. */
export function asList<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items)) return (body as { items: T[] }).items;
  return [];
}

export interface NewUser {
  username: string;
  password?: string;
  roles?: string[];
  publicKey?: string;
}
export interface NewDevice {
  name: string;
  host: string;
  port?: number;
  hostKey?: string;
  trustOnFirstUse: boolean;
}
export interface NewCredential {
  device: string;
  account: string;
  password?: string;
  privateKey?: string;
}

export const adminApi = {
  async users(): Promise<User[]> {
    return asList<User>(await api.get('/users'));
  },
  createUser: (u: NewUser) => api.post<User>('/users', u),
  patchUser: (id: number, patch: { disabled?: boolean; roles?: string[]; password?: string }) => api.patch<User>(`/users/${id}`, patch),

  async roles(): Promise<Role[]> {
    return asList<Role>(await api.get('/roles'));
  },
  saveRole: (name: string, permissions: string[]) => api.post<Role>('/roles', { name, permissions }),
  removeRole: (name: string) => api.delete(`/roles/${encodeURIComponent(name)}`),

  async devices(): Promise<Device[]> {
    return asList<Device>(await api.get('/devices'));
  },
  createDevice: (d: NewDevice) => api.post<Device>('/devices', d),
  removeDevice: (id: number) => api.delete(`/devices/${id}`),

  async credentials(): Promise<Credential[]> {
    return asList<Credential>(await api.get('/credentials'));
  },
  createCredential: (c: NewCredential) => api.post<Credential>('/credentials', c),
  removeCredential: (id: number) => api.delete(`/credentials/${id}`),

  async grants(): Promise<Grant[]> {
    return asList<Grant>(await api.get('/grants'));
  },
  createGrant: (g: { userId: number; credentialId: number; allowPortForwarding: boolean }) => api.post<Grant>('/grants', g),
  removeGrant: (id: number) => api.delete(`/grants/${id}`),

  settings: () => api.get<Settings>('/settings'),
  setSetting: <K extends SettingKey>(key: K, value: Settings[K]) => api.put<Settings>(`/settings/${encodeURIComponent(key)}`, { value }),

  async sessionBlocks(): Promise<SessionBlockItem[]> {
    return asList<SessionBlockItem>(await api.get('/session-blocks'));
  },
  releaseBlock: (userId: number) => api.post(`/session-blocks/${userId}/release`),
};
