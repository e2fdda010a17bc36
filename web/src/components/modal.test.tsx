import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Modal } from './modal';

function open(onClose = vi.fn()) {
  render(
    <>
      <button type="button">outside</button>
      <Modal title="Drop Session" onClose={onClose} footer={<button type="button">Yes</button>}>
        <input aria-label="reason" />
      </Modal>
    </>,
  );
  return onClose;
}

describe('Modal window', () => {
  it('is a modal dialog named by its title', () => {
    open();
    const d = screen.getByRole('dialog', { name: 'Drop Session' });
    expect(d.getAttribute('aria-modal')).toBe('true');
  });

  it('puts focus inside and closes on Escape', () => {
    const onClose = open();
    expect(document.activeElement).toBe(screen.getByLabelText('reason'));
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledOnce();
  });

  it('keeps Tab inside the window, wrapping both ways', () => {
    open();
    const close = screen.getByRole('button', { name: 'Close window' });
    const yes = screen.getByRole('button', { name: 'Yes' });
    yes.focus();
    fireEvent.keyDown(yes, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(yes);
  });
});

describe('Modal window, focus lost to the page', () => {
  it('still closes on Escape and takes Tab back inside', () => {
    const onClose = open();
    (document.activeElement as HTMLElement).blur();
    expect(document.activeElement).toBe(document.body);
    fireEvent.keyDown(document.body, { key: 'Tab' });
    expect(screen.getByRole('dialog').contains(document.activeElement)).toBe(true);
    (document.activeElement as HTMLElement).blur();
    fireEvent.keyDown(document.body, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledOnce();
  });
});
