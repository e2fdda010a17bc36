// The mirror worker thread: keeps the live terminal mirror of every session, off the relay's thread.

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { MirrorWorkerData } from './mirror-protocol.js';
import { serveMirrors } from './mirror-host.js';
import { nameThread } from '../../core/thread-name.js';

if (!parentPort) throw new Error('mirror-worker must run in a worker thread');
nameThread('vigil-mirror');
const data = workerData as MirrorWorkerData;
// On Linux the nice value is per thread: the relay keeps priority over parsing. A mirror that falls behind
// skips to the tail of its output (see terminal-mirror.ts); viewers get their bytes from the relay thread anyway.
if (data.nice) setPriority(data.nice);
serveMirrors(parentPort, data);
