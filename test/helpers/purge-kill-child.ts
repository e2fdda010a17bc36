// Runs a purge of DATA_DIR (retention 90 days, clock at 2026-06-01) announcing each deleted file, slowly, so that a test can SIGKILL it midway.
import { ManualClock } from '../../src/core/clock.js';
import { dataPaths } from '../../src/core/config.js';
import { FsPurgeFiles } from '../../src/core/purge-files.js';
import { PurgeService } from '../../src/core/purge-service.js';
import { SqlitePurgeRepo } from '../../src/store/purge-repo.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';

const paths = dataPaths(process.argv[2]!);
const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
const store = await openSqliteStore(paths.database, clock);
const fs = new FsPurgeFiles({ recordingsDir: paths.recordings, videosDir: paths.videos });
const files = Object.assign(Object.create(fs) as FsPurgeFiles, {
  remove: async (p: string) => {
    const removed = await fs.remove(p);
    process.stdout.write(`removed ${p}\n`);
    await new Promise((r) => setTimeout(r, 2));
    return removed;
  },
});
const service = new PurgeService({ repo: new SqlitePurgeRepo(store.database.db, store.search.writer), files, clock, retentionDays: async () => 90, batchSize: 4, fileConcurrency: 1 });
await service.run({ actor: { userId: null, name: 'system' } });
process.stdout.write('done\n');
await store.close();
