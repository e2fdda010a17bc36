import { writeInteractiveCast } from './test/helpers/synthetic-cast.ts';
import { renderVideo } from './src/recording/video/video-renderer.ts';
const secs = Number(process.argv[2] ?? 600);
const d = writeInteractiveCast('/tmp/proto/i.cast', { seconds: secs, marker: { time: 30, text: 'VIGXKZMARKER' } });
const t0 = performance.now();
const r = await renderVideo({ castPath: '/tmp/proto/i.cast', outPath: '/tmp/proto/i.mp4' });
const ms = performance.now() - t0;
console.log(r, 'render s', (ms/1000).toFixed(1), 'x realtime', (d / (ms/1000)).toFixed(1), 'rss MB', (process.resourceUsage().maxRSS/1024).toFixed(0));
