// What a Live Stream viewer receives, and the interface a transport (WebSocket) implements for it.

/**
 * Messages to one viewer, in order. A viewer first gets a `snapshot` at byte position `seq`, then
 * every `output` after it exactly once (no gap, no duplicate), and `resize`s in stream order. On
 * every `snapshot` (the first, and again after the viewer was too slow and was resynchronised) the
 * client resets its terminal, sizes it to cols×rows and writes `data`.
 *
 * `seq` counts the session's output bytes: a snapshot or output message with seq N leaves the
 * viewer's terminal showing the state after the first N bytes. Output `data` is UTF-8 decoded
 * text; a character split across chunks arrives whole in one message.
 */
export type ViewerMessage =
  | { type: 'snapshot'; cols: number; rows: number; data: string; seq: number }
  | { type: 'output'; data: string; seq: number }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'end'; status?: string };

/** One connected viewer, as the transport presents it. */
export interface LiveViewer {
  /**
   * Queues a message. Returns false when the viewer is backed up (the message is still
   * delivered): it then receives nothing more until it has room, and then a fresh snapshot.
   */
  send(msg: ViewerMessage): boolean;
  /** Bytes accepted but not yet written out (e.g. WebSocket.bufferedAmount), if known. */
  readonly bufferedAmount?: number;
}

/** The live side of one session: viewers subscribe and unsubscribe at any time. */
export interface LiveViewerSource {
  /** Starts the stream for `viewer`; the returned function stops it. */
  subscribe(viewer: LiveViewer): () => void;
}
