// Subscribes to GET /sessions/events (SSE, `event: session`) while mounted; EventSource reconnects by itself after a drop.

import { useEffect, useRef, useState } from 'react';
import { sessionsApi } from '../api/sessions-api';
import type { SessionChange } from '../api/wire';

export type EventsState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

export function useSessionEvents(onChange: (c: SessionChange) => void): EventsState {
  const [state, setState] = useState<EventsState>('connecting');
  const handler = useRef(onChange);
  handler.current = onChange;

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('unavailable');
      return;
    }
    const es = new EventSource(sessionsApi.eventsUrl());
    es.onopen = () => setState('live');
    es.onerror = () => setState(es.readyState === EventSource.CLOSED ? 'unavailable' : 'reconnecting');
    const onEvent = (e: MessageEvent<string>) => {
      let change: SessionChange;
      try {
        change = JSON.parse(e.data) as SessionChange;
      } catch {
        return; // not a change this console knows how to read
      }
      if (change && typeof change === 'object' && typeof change.id === 'number') handler.current(change);
    };
    // The server names its events `session`; unnamed ones are accepted too.
    es.addEventListener('session', onEvent);
    es.onmessage = onEvent;
    return () => es.close();
  }, []);

  return state;
}
