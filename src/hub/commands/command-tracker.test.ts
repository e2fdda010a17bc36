import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { CommandTracker, type TrackedCommand } from './command-tracker.js';
import { FIXTURE_START, loadFixture, replay } from './fixtures/replay.js';

/** Replays a fixture recorded from a real bash in a real pty and returns what the tracker made of it. */
async function track(name: string, opts: { maxBacklog?: number } = {}) {
  const clock = new ManualClock(FIXTURE_START);
  const commands: TrackedCommand[] = [];
  const excerpts = new Map<string, string>();
  const hidden: Date[] = [];
  const tracker = new CommandTracker({
    cols: 80,
    rows: 24,
    startedAt: new Date(FIXTURE_START),
    clock,
    onCommand: (c) => commands.push(c),
    onExcerpt: (c, text) => excerpts.set(c.text, text),
    onHidden: (at) => hidden.push(at),
    ...opts,
  });
  replay(loadFixture(name), clock, tracker);
  await tracker.settle(0, 10_000);
  tracker.end();
  await tracker.settle(0, 10_000);
  tracker.dispose();
  return { commands, texts: commands.map((c) => c.text), excerpts, hidden };
}

describe('CommandTracker on a real bash', () => {
  it('reconstructs edited, completed, recalled, continued and searched lines as bash ran them', async () => {
    const { texts, commands, excerpts } = await track('bash-editing');
    const long = `echo ${'x'.repeat(100)} end-of-long`;
    expect(texts).toEqual([
      'echo hello',
      'echo hello', // typo fixed with Left and a typed letter
      'echo right', // backspaces
      'echo after-ctrl-u', // Ctrl-U killed the rm before it was ever entered
      'echo one four', // Ctrl-W twice
      'echo  helloworld', // Home, Ctrl-F, insertion
      'ls /usr/share/', // Tab completion, read from the screen
      'ls /usr/share/', // history recall (Up)
      'echo after-ctrl-c', // the Ctrl-C'd line is not a command
      'echo first \\\nsecond \\\nthird', // backslash continuation: one command
      'echo "open quote\nclosed"', // an open quote continues too
      'cat <<EOF\nbody line\nEOF', // a here-document is one command
      long, // wraps over two rows
      long, // and recalled
      'echo  helloworld', // Ctrl-R reverse search
    ]);
    // Times: offsets grow and match the wall clock of the Enter key.
    for (const c of commands) expect(c.at.getTime()).toBe(FIXTURE_START + Math.round(c.offset * 1000));
    expect(commands.map((c) => c.offset)).toEqual([...commands.map((c) => c.offset)].sort((a, b) => a - b));
    expect(excerpts.get('echo right')).toBe('right');
    expect(excerpts.get('ls /usr/share/')).toContain('doc');
    expect(excerpts.get('cat <<EOF\nbody line\nEOF')).toBe('body line');
  });

  it('ignores what is typed in a full-screen program (vi, alternate screen)', async () => {
    const { texts } = await track('bash-vi');
    expect(texts).toEqual(['vi /tmp/vigil-fixture-vi.txt', 'echo after-vi']);
  });

  it('never logs input typed at a prompt that does not echo it (sudo-style read -s, getpass)', async () => {
    const { texts, hidden, excerpts } = await track('bash-password');
    expect(texts).toEqual(['read -s -p "[sudo] password for op: " pw; echo', `python3 -c "import getpass; getpass.getpass('Password: ')"`, 'echo after-password']);
    expect(hidden).toHaveLength(2);
    const everything = JSON.stringify([...texts, ...excerpts.values()]);
    expect(everything).not.toContain('S3cret');
    expect(everything).not.toContain('An0ther');
  });

  it('handles pasted blocks, several lines in one write, type-ahead and a program reading lines', async () => {
    const { texts } = await track('bash-paste');
    expect(texts).toEqual(['echo pasted-one\necho pasted-two', 'echo fast-a', 'echo fast-b', 'sleep 0.5', 'echo typed-ahead', 'cat', 'line for cat']);
  });

  it('keeps the last command and its output when the session ends', async () => {
    const clock = new ManualClock(FIXTURE_START);
    const seen: string[] = [];
    const tracker = new CommandTracker({ cols: 80, rows: 24, startedAt: new Date(FIXTURE_START), clock, onCommand: (c) => seen.push(c.text), onExcerpt: (c, t) => seen.push(`${c.text} => ${t}`) });
    tracker.output(Buffer.from('$ '));
    tracker.input(Buffer.from('uptime\r'));
    tracker.output(Buffer.from('uptime\r\n 10:00 up 1 day\r\n'));
    await tracker.settle(0, 5000);
    tracker.end();
    tracker.dispose();
    expect(seen).toEqual(['uptime', 'uptime =>  10:00 up 1 day']);
  });

  it('skips to the tail when it falls behind, and still reads the next command', async () => {
    const clock = new ManualClock(FIXTURE_START);
    const texts: string[] = [];
    const tracker = new CommandTracker({ cols: 80, rows: 24, startedAt: new Date(FIXTURE_START), clock, onCommand: (c) => texts.push(c.text), maxBacklog: 64 * 1024, tailBytes: 4096 });
    const prompt = '$ ';
    tracker.output(Buffer.from(prompt));
    const bulk = Buffer.from('0123456789abcdef'.repeat(4) + '\r\n');
    // 1 MiB of output, with a full-screen switch inside the part that will be skipped.
    for (let i = 0; i < 16 * 1024; i++) tracker.output(i === 10 ? Buffer.from('\x1b[?1049hfull screen') : bulk);
    tracker.output(Buffer.from('\x1b[?1049l' + prompt));
    await tracker.settle(0, 10_000);
    expect(tracker.skips).toBeGreaterThan(0);
    expect(tracker.altScreen).toBe(false);
    tracker.input(Buffer.from('e'));
    tracker.output(Buffer.from('e'));
    tracker.input(Buffer.from('cho done\r'));
    tracker.output(Buffer.from('cho done\r\ndone\r\n' + prompt));
    await tracker.settle(0, 10_000);
    tracker.dispose();
    expect(texts).toEqual(['echo done']);
  });
});
