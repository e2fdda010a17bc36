// A census of another Node process's heap through its inspector (V8 heap snapshots), for bench/churn.ts: what grew,
// the program's objects told apart from V8's compiled code.

import WebSocket from 'ws';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Live heap objects by kind ("type:name" of a V8 heap snapshot): count and bytes. */
export type HeapCensus = Map<string, { count: number; bytes: number }>;

/** A minimal Chrome DevTools Protocol client for Vigil's inspector: force a full GC, count the heap's objects. */
export async function inspector(stderr: () => string): Promise<{ gc(): Promise<void>; census(): Promise<HeapCensus>; close(): void }> {
  let url: string | undefined;
  for (let i = 0; i < 100 && !url; i++) {
    url = /Debugger listening on (ws:\/\/\S+)/.exec(stderr())?.[1];
    if (!url) await sleep(50);
  }
  if (!url) throw new Error(`no inspector URL in Vigil's stderr:\n${stderr()}`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  let chunks: string[] = [];
  ws.on('message', (raw: WebSocket.RawData) => {
    const msg = JSON.parse(raw.toString()) as { method?: string; params?: { chunk: string } };
    if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(msg.params!.chunk);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<void>((resolve, reject) => {
      const my = ++id;
      const onMessage = (raw: WebSocket.RawData) => {
        const msg = JSON.parse(raw.toString()) as { id?: number; error?: { message: string } };
        if (msg.id !== my) return;
        ws.off('message', onMessage);
        if (msg.error) reject(new Error(msg.error.message));
        else resolve();
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: my, method, params }));
    });
  // Twice: the first pass may only queue finalizers whose objects the second frees.
  const gc = async () => {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
  };
  return {
    gc,
    census: async () => {
      await gc();
      chunks = [];
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
      chunks = [];
      const width = snap.snapshot.meta.node_fields.length;
      const types = snap.snapshot.meta.node_types[0];
      const census: HeapCensus = new Map();
      for (let i = 0; i < snap.nodes.length; i += width) {
        const key = `${types[snap.nodes[i]!]}:${String(snap.strings[snap.nodes[i + 1]!]).slice(0, 60)}`;
        const e = census.get(key) ?? { count: 0, bytes: 0 };
        e.count++;
        e.bytes += snap.nodes[i + 3]!;
        census.set(key, e);
      }
      return census;
    },
    close: () => ws.close(),
  };
}

/**
 * What grew between two censuses, split into V8's own (compiled code and its metadata, "code:" and "hidden:" kinds:
 * they grow while V8 still optimises) and the program's objects (everything else), with the objects that grew most.
 */
export function heapGrowth(before: HeapCensus, after: HeapCensus): { v8Bytes: number; objectBytes: number; top: string[] } {
  let v8Bytes = 0;
  let objectBytes = 0;
  const grew: Array<{ key: string; count: number; bytes: number }> = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    const d = { key, count: a.count - b.count, bytes: a.bytes - b.bytes };
    if (/^(code|hidden):/.test(key)) v8Bytes += d.bytes;
    else {
      objectBytes += d.bytes;
      if (d.bytes > 0) grew.push(d);
    }
  }
  for (const [key, b] of before) if (!after.has(key)) (/^(code|hidden):/.test(key) ? (v8Bytes -= b.bytes) : (objectBytes -= b.bytes));
  const top = grew
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, 5)
    .map((d) => `${d.key.replace(/\s+/g, ' ')} +${d.count} (+${d.bytes} B)`);
  return { v8Bytes, objectBytes, top };
}
