// A form submission for admin pages: busy flag, error in plain words, success note; the form keeps its values on failure.

import { useState } from 'react';
import { describeError } from '../../api/client';

export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  async function run(action: () => Promise<unknown>, success: string): Promise<boolean> {
    setBusy(true);
    setError('');
    setDone('');
    try {
      await action();
      setDone(success);
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, done, run, setError };
}
