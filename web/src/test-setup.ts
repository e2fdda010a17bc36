// Vitest setup for the web console: unmount rendered components after each test.

import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => cleanup());
