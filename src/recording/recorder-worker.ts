// The recorder worker thread: encodes, hashes and writes the recordings of all sessions, off the relay's thread.

import { parentPort } from 'node:worker_threads';
import { serveRecorders } from './recorder-host.js';
import { nameThread } from '../core/thread-name.js';

if (!parentPort) throw new Error('recorder-worker must run in a worker thread');
nameThread('vigil-recorder');
serveRecorders(parentPort);
