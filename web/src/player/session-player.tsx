// The in-browser player of Session Video: play/pause, a timeline with command and event markers, seek, speed, skip idle.

import { useEffect, useRef, useState } from 'react';
import { describeError } from '../api/client';
import type { PlayerInfo, SessionItem } from '../api/wire';
import { ErrorMessage, Loading } from '../components/feedback';
import { formatDuration } from '../components/format';
import { PauseIcon, PlayIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { TerminalView, type TerminalSink } from '../components/terminal-view';
import { PlayerEngine, SPEEDS } from './player-engine';
import { httpPlayerSource } from './player-source';

export interface SessionPlayerProps {
  session: SessionItem;
  onClose: () => void;
}

export function SessionPlayer({ session, onClose }: SessionPlayerProps) {
  const screen = useRef<TerminalSink>(null);
  const engine = useRef<PlayerEngine | null>(null);
  const [info, setInfo] = useState<PlayerInfo | null>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [skipIdle, setSkipIdle] = useState(true);
  const [error, setError] = useState('');

  useEffect(() => {
    let disposed = false;
    const source = httpPlayerSource(session.id);
    source
      .info()
      .then((i) => {
        if (disposed || !screen.current) return;
        const e = new PlayerEngine(source, i, screen.current, {
          onTime: (t) => setTime(t),
          onPlaying: (p) => setPlaying(p),
          onError: (m) => setError(`Playback failed: ${m}`),
        });
        engine.current = e;
        setInfo(i);
        return e.seek(0).then(() => !disposed && e.play());
      })
      .catch((err: unknown) => !disposed && setError(`The recording could not be opened: ${describeError(err)}`));
    return () => {
      disposed = true;
      engine.current?.dispose();
      engine.current = null;
    };
  }, [session.id]);

  const e = engine.current;
  const duration = info?.duration ?? session.recordingDuration ?? 0;
  const toggle = () => (playing ? e?.pause() : e?.play());
  const seek = (t: number) => void e?.seek(t);

  return (
    <Modal title="Session Video Player" size="xl" onClose={onClose} className="player-window">
      <div className="terminal-frame">
        <TerminalView ref={screen} maxWidth={Math.min(window.innerWidth - 80, 1400) - 32} label={`Recording of session ${session.id}`} />
        {!info && !error && (
          <div className="terminal-overlay">
            <Loading label="Opening the recording…" />
          </div>
        )}
      </div>
      <div className="player-controls" role="group" aria-label="Player controls">
        <button type="button" className="icon-button play-button" aria-label={playing ? 'Pause' : 'Play'} title={playing ? 'Pause' : 'Play'} onClick={toggle} disabled={!info}>
          {playing ? <PauseIcon size={18} /> : <PlayIcon size={18} />}
        </button>
        <span className="player-time" aria-live="off">
          {formatDuration(time)} / {formatDuration(duration)}
        </span>
        <div className="timeline">
          {info?.idle.map((p, i) => (
            <span key={`i${i}`} className="timeline-idle" style={{ left: `${(p.start / duration) * 100}%`, width: `${((p.end - p.start) / duration) * 100}%` }} />
          ))}
          <input
            type="range"
            aria-label="Timeline"
            min={0}
            max={duration || 0}
            step={0.1}
            value={Math.min(time, duration)}
            onChange={(ev) => seek(Number(ev.target.value))}
            disabled={!info}
          />
          {info?.markers.map((m, i) => (
            <button
              key={`m${i}`}
              type="button"
              className={`timeline-marker marker-${m.kind}`}
              style={{ left: `${(m.time / (duration || 1)) * 100}%` }}
              title={`${formatDuration(m.time)} ${m.label}`}
              aria-label={`Go to ${m.kind} ${m.label} at ${formatDuration(m.time)}`}
              onClick={() => seek(m.time)}
            />
          ))}
        </div>
        <label className="inline-field">
          Speed
          <select
            aria-label="Speed"
            value={speed}
            onChange={(ev) => {
              const v = Number(ev.target.value);
              setSpeed(v);
              if (e) e.speed = v;
            }}
          >
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <input
            type="checkbox"
            checked={skipIdle}
            onChange={(ev) => {
              setSkipIdle(ev.target.checked);
              if (e) e.skipIdle = ev.target.checked;
            }}
          />
          Skip idle
        </label>
      </div>
      <ErrorMessage>{error}</ErrorMessage>
    </Modal>
  );
}
