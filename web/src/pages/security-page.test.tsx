import jsQR from 'jsqr';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { totpApi } from '../api/totp-api';
import { AuthProvider } from '../app/auth';
import { SecurityPage } from './security-page';

const URI = 'otpauth://totp/Vigil:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=Vigil';

function renderPage(enrolled: boolean) {
  vi.spyOn(totpApi, 'status').mockResolvedValue({ enrolled, pending: false, required: false });
  render(
    <AuthProvider>
      <SecurityPage />
    </AuthProvider>,
  );
}

const codeField = () => screen.getByLabelText(/^Authentication code/) as HTMLInputElement;

describe('two-factor authentication page', () => {
  beforeEach(() => localStorage.clear());

  it('sets up: shows the URI and the secret in groups of four, and Confirm sends the code', async () => {
    renderPage(false);
    vi.spyOn(totpApi, 'start').mockResolvedValue({ uri: URI, secret: 'JBSWY3DPEHPK3PXPJBSWY3DP', expiresAt: '2026-03-01T10:10:00Z' });
    const confirm = vi.spyOn(totpApi, 'confirm').mockResolvedValue({ enrolled: true, reauthenticate: false });
    fireEvent.click(await screen.findByRole('button', { name: 'Set up' }));
    expect((await screen.findByLabelText('otpauth URI')).textContent).toBe(URI);
    expect(screen.getByLabelText('Secret').textContent).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP');
    // The QR code an authenticator app scans reads back as the same URI.
    expect(decodeQr(screen.getByRole('img', { name: 'QR code of the otpauth URI' }))).toBe(URI);
    vi.spyOn(totpApi, 'status').mockResolvedValue({ enrolled: true, pending: false, required: false });
    fireEvent.change(codeField(), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(confirm).toHaveBeenCalledWith('123456'));
    expect((await screen.findByRole('status')).textContent).toMatch(/Two-factor authentication is on/);
    expect(await screen.findByRole('button', { name: 'Turn off' })).toBeTruthy();
  });

  it("shows the server's refusal of a wrong code and keeps the field as typed", async () => {
    renderPage(false);
    vi.spyOn(totpApi, 'start').mockResolvedValue({ uri: URI, secret: 'JBSWY3DPEHPK3PXP', expiresAt: '2026-03-01T10:10:00Z' });
    vi.spyOn(totpApi, 'confirm').mockRejectedValue(new ApiError(400, { type: 'x', title: 'Bad Request', status: 400, detail: 'the code is wrong' }, ''));
    fireEvent.click(await screen.findByRole('button', { name: 'Set up' }));
    fireEvent.change(await screen.findByLabelText(/^Authentication code/), { target: { value: '654321' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }));
    expect((await screen.findByRole('alert')).textContent).toBe('the code is wrong');
    expect(codeField().value).toBe('654321');
    expect(screen.getByLabelText('otpauth URI').textContent).toBe(URI);
  });

  it('turns off with a current code', async () => {
    renderPage(true);
    const disable = vi.spyOn(totpApi, 'disable').mockResolvedValue({ ok: true });
    fireEvent.change(await screen.findByLabelText(/^Authentication code/), { target: { value: '111222' } });
    vi.spyOn(totpApi, 'status').mockResolvedValue({ enrolled: false, pending: false, required: false });
    fireEvent.click(screen.getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(disable).toHaveBeenCalledWith('111222'));
    expect((await screen.findByRole('status')).textContent).toBe('Two-factor authentication is off.');
    expect(await screen.findByRole('button', { name: 'Set up' })).toBeTruthy();
  });
});

/** Decodes a rendered QR code the way a phone camera would: its drawn squares rasterised, then read by jsQR. */
function decodeQr(svg: Element): string | null {
  const size = Number(svg.getAttribute('viewBox')!.split(' ')[2]);
  const scale = 4;
  const w = size * scale;
  const px = new Uint8ClampedArray(w * w * 4).fill(255);
  for (const m of svg.querySelector('path')!.getAttribute('d')!.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    const [c, r] = [Number(m[1]), Number(m[2])];
    for (let y = r * scale; y < (r + 1) * scale; y++) {
      for (let x = c * scale; x < (c + 1) * scale; x++) px.fill(0, (y * w + x) * 4, (y * w + x) * 4 + 3);
    }
  }
  return jsQR(px, w, w)?.data ?? null;
}
