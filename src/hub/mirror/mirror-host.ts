// The mirror worker's side: one TerminalMirror per live session, fed from the relay thread's batches.

import type { MessagePort } from 'node:worker_threads';
import { OP_HEADER, OpKind, type MirrorReply, type MirrorRequest, type MirrorWorkerData } from './mirror-protocol.js';
import { TerminalMirror } from './terminal-mirror.js';

/** Output taken since the last 'consumed' reply beyond which one is sent. */
const ACK_BYTES = 1024 * 1024;

interface Hosted {
  mirror: TerminalMirror;
  /** Data and resize operations received. */
  ops: number;
  /** True once output was lost (reset): snapshots are then marked resynced. */
  lost: boolean;
}

/** Serves mirror batches arriving on `port` (a worker's parentPort, or a MessageChannel's end in tests). */
export function serveMirrors(port: Pick<MessagePort, 'on' | 'postMessage'>, data: MirrorWorkerData): void {
  const mirrors = new Map<number, Hosted>();
  let unacked = 0;
  const create = (cols: number, rows: number) =>
    new TerminalMirror({ cols, rows, scrollback: data.scrollback, maxQueueBytes: data.maxQueueBytes, maxShare: data.maxShare });

  const snapshot = (id: number, h: Hosted, req: number) => {
    h.mirror.requestSnapshot((snap, after) => {
      const reply: MirrorReply = {
        type: 'snapshot', id, req, opsAt: h.ops,
        snap: h.lost ? { ...snap, resynced: true } : snap,
        // Copied: a view would carry its whole batch buffer across.
        after: after.map((e) => (e.kind === 'data' ? new Uint8Array(e.data) : [e.cols, e.rows])),
      };
      port.postMessage(reply);
    });
  };

  port.on('message', (m: MirrorRequest) => {
    const view = new DataView(m.buf, 0, m.length);
    for (let at = 0; at < m.length; ) {
      const id = view.getUint32(at, true);
      const kind = view.getUint32(at + 4, true);
      const a = view.getUint32(at + 8, true);
      const b = view.getUint32(at + 12, true);
      at += OP_HEADER;
      const h = mirrors.get(id);
      switch (kind) {
        case OpKind.Open:
          mirrors.set(id, { mirror: create(a, b), ops: 0, lost: false });
          break;
        case OpKind.Data:
          if (h) {
            h.ops++;
            // A view of the transferred batch: the mirror's queue keeps it until parsed.
            h.mirror.output(Buffer.from(m.buf, at, a));
          }
          unacked += a;
          at += a;
          break;
        case OpKind.Resize:
          if (h) {
            h.ops++;
            h.mirror.resize(a, b);
          }
          break;
        case OpKind.Snapshot:
          if (h) snapshot(id, h, a);
          break;
        case OpKind.Reset:
          if (h) {
            h.mirror.dispose();
            mirrors.set(id, { mirror: create(a, b), ops: h.ops, lost: true });
          }
          break;
        case OpKind.Close:
          h?.mirror.dispose();
          mirrors.delete(id);
          break;
      }
    }
    if (unacked >= ACK_BYTES) {
      port.postMessage({ type: 'consumed', bytes: unacked } satisfies MirrorReply);
      unacked = 0;
    }
  });
}
