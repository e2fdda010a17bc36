// Session Video: session and user info, recording size and duration, View (player), Generate video for download, raw download.

import { useEffect, useState } from 'react';
import { browserDownload, describeError } from '../api/client';
import { sessionsApi } from '../api/sessions-api';
import { videoApi } from '../api/video-api';
import type { SessionItem, VideoJob } from '../api/wire';
import { ErrorMessage } from '../components/feedback';
import { formatBytes, formatDateTime, formatDuration } from '../components/format';
import { DownloadIcon, PlayIcon } from '../components/icons';
import { Modal } from '../components/modal';
import { SessionPlayer } from '../player/session-player';
import { InfoList } from './info-list';

const POLL_MS = 1000;

export interface SessionVideoWindowProps {
  session: SessionItem;
  onClose: () => void;
}

export function SessionVideoWindow({ session, onClose }: SessionVideoWindowProps) {
  const [viewing, setViewing] = useState(false);
  const [job, setJob] = useState<VideoJob | null>(null);
  const [error, setError] = useState('');
  const [starting, setStarting] = useState(false);
  const purged = !!session.purgedAt;

  const busy = job?.state === 'queued' || job?.state === 'running';

  // No status probe on open: an MP4 made earlier comes back at once (200, done) when Generate is pressed,
  // and a probe would answer 404 for most sessions (noise in the browser console).
  // Poll while the MP4 is being made.
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => {
      videoApi.status(session.id).then(setJob, (err: unknown) => setError(`Video progress is unavailable: ${describeError(err)}`));
    }, POLL_MS);
    return () => clearInterval(t);
  }, [session.id, busy]);

  /** The raw recording: the session is read again first (no event logged) so a purged one says so plainly. */
  async function downloadRecording() {
    setError('');
    try {
      const fresh = await sessionsApi.get(session.id);
      if (fresh.purgedAt) throw new Error(`the recording was purged on ${formatDateTime(fresh.purgedAt)}`);
      if (fresh.recordingSize === null) throw new Error('this session has no recording');
      browserDownload(videoApi.recordingUrl(session.id), `session-${session.id}.cast`);
    } catch (err) {
      setError(`Download failed: ${describeError(err)}`);
    }
  }

  async function generate() {
    setStarting(true);
    setError('');
    try {
      setJob(await videoApi.start(session.id));
    } catch (err) {
      setError(`The video could not be generated: ${describeError(err)}`);
    } finally {
      setStarting(false);
    }
  }

  return (
    <>
      <Modal
        title="Session Video"
        size="lg"
        onClose={onClose}
        footer={
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        }
      >
        <div className="log-columns">
          <section className="log-section">
            <h3>Session info</h3>
            <InfoList
              items={[
                ['ID', session.id],
                ['Session ID', <code key="h">{session.sessionId}</code>],
                ['Device', session.device],
                ['Credential', session.credential],
                ['Host', session.host],
                ['Start', formatDateTime(session.startedAt)],
                ['End', formatDateTime(session.endedAt)],
              ]}
            />
          </section>
          <section className="log-section">
            <h3>User info</h3>
            <InfoList
              items={[
                ['User', session.user],
                ['User IP', session.originIp],
              ]}
            />
            <h3>Recording</h3>
            <InfoList
              items={[
                ['Size', formatBytes(session.recordingSize)],
                ['On disk', storedSize(session.recordingSize, session.recordingStoredSize)],
                ['Duration', formatDuration(session.recordingDuration)],
                ['SHA-256', session.recordingSha256 ? <code key="s" className="hash">{session.recordingSha256}</code> : ''],
              ]}
            />
          </section>
        </div>
        {purged ? (
          <div className="alert alert-info">The recording of this session was purged on {formatDateTime(session.purgedAt)}; its logs and events remain.</div>
        ) : (
          <div className="video-actions">
            <button type="button" className="button button-primary" onClick={() => setViewing(true)}>
              <PlayIcon size={16} /> View
            </button>
            <button type="button" className="button" onClick={generate} disabled={starting || busy}>
              {busy ? 'Generating video…' : 'Generate video for download'}
            </button>
            <button type="button" className="button" onClick={downloadRecording}>
              <DownloadIcon size={16} /> Download recording (.cast)
            </button>
          </div>
        )}
        {job && <VideoJobStatus job={job} onDownload={() => browserDownload(videoApi.fileUrl(session.id), `session-${session.id}.mp4`)} />}
        <ErrorMessage>{error}</ErrorMessage>
      </Modal>
      {viewing && <SessionPlayer session={session} onClose={() => setViewing(false)} />}
    </>
  );
}

function VideoJobStatus({ job, onDownload }: { job: VideoJob; onDownload: () => void }) {
  if (job.state === 'failed') return <ErrorMessage>The video could not be generated{job.error ? `: ${job.error}` : '.'}</ErrorMessage>;
  if (job.state === 'done')
    return (
      <div className="alert alert-success" role="status">
        The video is ready.{' '}
        <button type="button" onClick={onDownload} className="button button-primary">
          <DownloadIcon size={16} /> Download video (MP4){job.size ? ` · ${formatBytes(job.size)}` : ''}
        </button>
      </div>
    );
  const pct = Math.max(0, Math.min(100, Math.round(job.percent ?? 0)));
  return (
    <div className="progress-block">
      <span>{job.state === 'queued' ? 'Queued…' : `Generating video… ${pct}%`}</span>
      <div className="progress" role="progressbar" aria-label="Video generation" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="progress-bar" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** The recording's size on disk: compressed some time after the session closed, or kept as written when it could not be. */
function storedSize(size: number | null, stored: number | null): string {
  if (stored === null) return 'not compressed yet';
  return `${formatBytes(stored)} (${size !== null && stored < size ? 'compressed' : 'kept as written'})`;
}
