import { expect } from 'chai';
import { DashboardApp } from '../../src/tui/app.js';
import type { CommandRunner, SnapshotSource } from '../../src/tui/dashboard-source.js';
import type { DashboardSnapshot } from '../../src/tui/dashboard-snapshot.js';
import type { PanelId } from '../../src/tui/panel-ids.js';
import type { DashboardCommand } from '../../src/tui/status-model.js';
import { KEY, plain, renderInteractive, until, type Rendered } from './ink-harness.js';
import { T0, node, snapshot } from './snapshot-fixtures.js';

/** Hands out the snapshots it is given, one per fetch, repeating the last; or throws what it is told to. */
class ScriptedSource implements SnapshotSource {
  fetches = 0;
  /** The panel in focus at each fetch. */
  readonly focuses: (PanelId | undefined)[] = [];
  constructor(public next: () => DashboardSnapshot) {}
  async fetch(focus?: PanelId): Promise<DashboardSnapshot> {
    this.fetches++;
    this.focuses.push(focus);
    return this.next();
  }
}

/** Each fetch waits until the test answers it: the test decides what every poll returns, and when. */
class GatedSource implements SnapshotSource {
  private waiting: { resolve: (s: DashboardSnapshot) => void; reject: (e: Error) => void }[] = [];
  fetches = 0;
  fetch(): Promise<DashboardSnapshot> {
    this.fetches++;
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  get isWaiting(): boolean {
    return this.waiting.length > 0;
  }
  answer(s: DashboardSnapshot): void {
    this.waiting.shift()!.resolve(s);
  }
  fail(message: string): void {
    this.waiting.shift()!.reject(new Error(message));
  }
}

/** A command that ends when the test says so. */
function deferred(): { promise: Promise<string>; resolve: (v: string) => void; reject: (e: Error) => void } {
  let resolve!: (v: string) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

class RecordingRunner implements CommandRunner {
  readonly ran: DashboardCommand[] = [];
  constructor(private readonly answer: (c: DashboardCommand) => Promise<string> = async (c) => `done ${c.kind}`) {}
  run(c: DashboardCommand): Promise<string> {
    this.ran.push(c);
    return this.answer(c);
  }
}

describe('tui: DashboardApp (ink-testing-library, fixed time and size)', () => {
  let r: Rendered | undefined;
  afterEach(() => {
    r?.unmount();
    r = undefined;
  });

  const mount = async (source: SnapshotSource, runner: CommandRunner, opts: { onQuit?: () => void; pollIntervalMs?: number; waitFor?: string } = {}) => {
    r = await renderInteractive(
      <DashboardApp
        source={source}
        runner={runner}
        now={() => T0}
        clockIntervalMs={0}
        pollIntervalMs={opts.pollIntervalMs ?? 60_000}
        size={{ columns: 80, rows: 24 }}
        onQuit={opts.onQuit}
      />,
    );
    const first = opts.waitFor ?? 'n5';
    if (first) await until(`the frame to show ${first}`, () => plain(r!.lastFrame()).includes(first));
    return r;
  };
  const frame = () => plain(r!.lastFrame());
  const selectedLine = () => frame().split('\n').find((l) => l.startsWith('› '));

  it('arrows move the pick; k kills the picked node and the result shows in the events panel', async () => {
    const runner = new RecordingRunner(async (c) => `killed ${(c as { nodeId: string }).nodeId}: stopped (pid 1003)`);
    await mount(new ScriptedSource(() => snapshot()), runner);
    expect(selectedLine()).to.match(/^› n1/);
    r!.stdin.write(KEY.down);
    await until('n2 picked', () => /^› n2/.test(selectedLine() ?? ''));
    r!.stdin.write(KEY.down);
    await until('n3 picked', () => /^› n3/.test(selectedLine() ?? ''));
    r!.stdin.write('k');
    await until('the kill result', () => frame().includes('✓ killed n3: stopped (pid 1003)'));
    expect(runner.ran).to.deep.equal([{ kind: 'kill', nodeId: 'n3' }]);
  });

  it('p resumes a paused node; a command that fails shows ✗ and its reason, and the view carries on', async () => {
    const nodes = [node('n1'), node('n2', { state: 'paused', responding: false })];
    const runner = new RecordingRunner(async () => {
      throw new Error('node n2 is not paused');
    });
    await mount(new ScriptedSource(() => snapshot({}, nodes)), runner, { waitFor: 'n2' });
    r!.stdin.write(KEY.down);
    await until('n2 picked', () => /^› n2 +paused/.test(selectedLine() ?? ''));
    r!.stdin.write('p');
    await until('the failure', () => frame().includes('✗ resume n2 failed: node n2 is not paused'));
    expect(runner.ran).to.deep.equal([{ kind: 'resume', nodeId: 'n2' }]);
    expect(frame().split('\n')).to.have.length(23);
  });

  it('a second command key while one runs is refused; when it ends the view polls at once', async () => {
    const pending = deferred();
    const runner = new RecordingRunner(() => pending.promise);
    const source = new ScriptedSource(() => snapshot());
    await mount(source, runner);
    expect(source.fetches).to.equal(1);
    r!.stdin.write('i');
    await until('the running notice', () => frame().includes('running: isolate n1…'));
    r!.stdin.write('h');
    await until('the refusal', () => frame().includes('✗ busy: isolate n1 is still running'));
    expect(runner.ran).to.deep.equal([{ kind: 'isolate', nodeId: 'n1' }]);
    pending.resolve('isolated n1');
    await until('the result', () => frame().includes('✓ isolated n1'));
    // The poll interval is a minute: a second fetch can only come from the refresh after the command.
    await until('a refresh after the command', () => source.fetches === 2);
  });

  it('polls for the panel shown, and a newly picked panel gets its data at once, not at the next poll', async () => {
    const source = new ScriptedSource(() => snapshot());
    await mount(source, new RecordingRunner());
    expect(source.focuses).to.deep.equal(['overview']);
    r!.stdin.write('3');
    // The poll interval is a minute: a second fetch can only come from the panel change.
    await until('a fetch for the elections panel', () => source.fetches === 2);
    expect(source.focuses).to.deep.equal(['overview', 'elections']);
  });

  it('a failed poll shows a notice and never crashes; the next good poll brings the view back', async () => {
    const source = new GatedSource();
    await mount(source, new RecordingRunner(), { pollIntervalMs: 0, waitFor: 'connecting' });
    await until('the first fetch', () => source.isWaiting);
    source.fail('cluster "demo" does not exist (no /tmp/demo/cluster.json)');
    await until('the notice', () => frame().includes('poll failed (1×): cluster "demo" does not exist'));
    expect(frame()).to.include('connecting…');
    await until('the next fetch', () => source.isWaiting);
    source.answer(snapshot());
    await until('the nodes', () => frame().includes('n5') && !frame().includes('poll failed'));
    await until('the next fetch', () => source.isWaiting);
    source.fail('timeout');
    await until('the notice over old data', () => frame().includes('poll failed (1×; showing data from 0s ago): timeout'));
    expect(frame()).to.match(/› n1★ +leader/);
  });

  it('? shows help and any key closes it without acting; q quits', async () => {
    const runner = new RecordingRunner();
    let quits = 0;
    await mount(new ScriptedSource(() => snapshot()), runner, { onQuit: () => quits++ });
    r!.stdin.write('?');
    await until('help', () => frame().includes('kill the node (SIGKILL, a crash)'));
    r!.stdin.write('k');
    await until('help closed', () => !frame().includes('kill the node (SIGKILL, a crash)'));
    expect(runner.ran).to.deep.equal([]);
    r!.stdin.write('q');
    await until('quit', () => quits === 1);
  });

  it('Ctrl-C quits like q', async () => {
    let quits = 0;
    await mount(new ScriptedSource(() => snapshot()), new RecordingRunner(), { onQuit: () => quits++ });
    r!.stdin.write(KEY.ctrlC);
    await until('quit', () => quits === 1);
  });
});
