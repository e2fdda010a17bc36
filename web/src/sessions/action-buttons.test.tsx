import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { SessionAction } from '../api/wire';
import { ActionButtons } from './action-buttons';

const ALL_TITLES = ['Live Stream', 'Drop Session', 'Session Logs', 'Session Video', 'Prevent Purge', 'Configure Auditors'];

function renderWith(actions: SessionAction[], onAction = vi.fn()) {
  render(<ActionButtons session={{ id: 7, sessionId: 'abc', actions, preventPurge: false }} onAction={onAction} />);
  return onAction;
}

function shownTitles(): string[] {
  return screen.queryAllByRole('button').map((b) => b.getAttribute('title') ?? '');
}

describe('Action column', () => {
  it('renders exactly the icons the API offers, in Segura order, each with its title as tooltip and accessible name', () => {
    renderWith(['auditors', 'video', 'logs', 'preventPurge']);
    expect(shownTitles()).toEqual(['Session Logs', 'Session Video', 'Prevent Purge', 'Configure Auditors']);
    for (const b of screen.getAllByRole('button')) expect(b.getAttribute('aria-label')).toBe(b.getAttribute('title'));
    expect(screen.getByRole('button', { name: 'Session Logs' }).querySelector('svg')).not.toBeNull();
  });

  it('shows all six for a session offering every action, and nothing for "block" (it lives inside Live Stream)', () => {
    renderWith(['livestream', 'drop', 'block', 'logs', 'video', 'preventPurge', 'auditors']);
    expect(shownTitles()).toEqual(ALL_TITLES);
  });

  it('shows no icon at all when the caller may do nothing (a PAM User)', () => {
    renderWith([]);
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });

  it('shows only live actions for an active session', () => {
    renderWith(['livestream', 'drop', 'block']);
    expect(shownTitles()).toEqual(['Live Stream', 'Drop Session']);
  });

  it('reports which action was clicked', () => {
    const onAction = renderWith(['livestream', 'drop']);
    fireEvent.click(screen.getByRole('button', { name: 'Drop Session' }));
    expect(onAction).toHaveBeenCalledWith('drop');
  });
});
