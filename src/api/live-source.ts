// The interface of a session's live terminal mirror as the Live Stream route uses it (implemented in src/hub/mirror).

import type { LiveMessage } from './schemas.js';

/** What the terminal mirror sends a viewer: the current screen first, then output, resizes and the end. */
export type ViewerMessage = LiveMessage;

/** A viewer as the mirror sees it. `send` returns false when the viewer is too slow; the mirror then resynchronises it from a fresh snapshot. */
export interface LiveViewer {
  send(msg: ViewerMessage): boolean;
}

/** The live mirror of one session (src/hub/mirror). */
export interface LiveViewerSource {
  /** Starts sending to the viewer; returns the unsubscribe function. */
  subscribe(viewer: LiveViewer): () => void;
}
