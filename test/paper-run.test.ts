/**
 * scripts/paper-run.sh, the driver of the paper-scale run: both models side by side, the one
 * left running moved onto every core when the other finishes, SIGTERM saving both, and a rerun
 * continuing them. Tiny settings (width 0.125, 3 epochs, 400 synthetic faces) stand in for the
 * paper's; the final weights must equal those of `fer train` run alone with the same settings.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { syntheticFer, writeFerCsv } from '../lib/train/synthetic';
import { ferChild } from './fixtures/cli';

const ROOT = path.resolve(__dirname, '..');
const MODELS = ['cnn', 'cnn-lstm'] as const;

describe('scripts/paper-run.sh', function () {
  let tmp: string;
  let csv: string;
  // No spaces in these paths: PAPER_RUN_ARGS is split on whitespace.
  const extra = (): string[] => [
    '--width',
    '0.125',
    '--epochs',
    '3',
    '--backend',
    'wasm',
    '--cache-dir',
    path.join(tmp, 'cache'),
  ];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-paper-run-'));
    csv = path.join(tmp, 'synthetic.csv');
    writeFerCsv(csv, syntheticFer({ n: 400, noise: 60 }));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /**
   * Runs the script with models in <tmp>/<name>, logs in <tmp>/<name>-logs and `env` laid over
   * this process's; `onTick` is called every 50 ms with a function that sends it SIGTERM.
   */
  function runScript(
    name: string,
    env: Record<string, string>,
    onTick?: (kill: () => void) => void,
  ): Promise<{ code: number | null; stderr: string; seconds: number }> {
    const out = path.join(tmp, name);
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['scripts/paper-run.sh'], {
        cwd: ROOT,
        env: {
          ...process.env,
          FER2013_CSV: csv,
          PAPER_RUN_OUT: out,
          PAPER_RUN_LOGS: `${out}-logs`,
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const tick = onTick ? setInterval(() => onTick(() => child.kill('SIGTERM')), 50) : undefined;
      child.on('error', reject);
      child.on('close', (code) => {
        clearInterval(tick);
        resolve({ code, stderr, seconds: (Date.now() - t0) / 1000 });
      });
    });
  }

  /** The script driving real `fer train` runs on the tiny settings. */
  const paperRun = (
    name: string,
    opts: { csv?: string; onTick?: (kill: () => void) => void } = {},
  ) =>
    runScript(
      name,
      {
        FER_DEBUG: '',
        FER_BACKEND: '',
        FER2013_CSV: opts.csv ?? csv,
        PAPER_RUN_ARGS: extra().join(' '),
      },
      opts.onTick,
    );

  const log = (name: string, m: string): string => {
    const f = path.join(tmp, `${name}-logs`, `paper-${m}.log`);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  };
  const weights = (dir: string): Buffer => fs.readFileSync(path.join(dir, 'weights.bin'));

  // Each model trained alone by `fer train`, one thread, with the script's own arguments.
  let reference: Promise<void> | null = null;
  const alone = () =>
    (reference ??= Promise.all(
      MODELS.map(async (m) => {
        const r = await ferChild(
          [
            'train',
            '--model',
            m,
            '--profile',
            'paper',
            '--seed',
            '1',
            '--out',
            path.join(tmp, 'alone', m),
            '--csv',
            csv,
            ...extra(),
          ],
          { env: { FER_BACKEND: '', FER_WASM_THREADS: '1' } },
        );
        assert.equal(r.code, 0, r.stderr);
      }),
    ).then(() => undefined));

  function assertFinishedLikeAlone(name: string): void {
    for (const m of MODELS) {
      const dir = path.join(tmp, name, m);
      assert.ok(fs.existsSync(path.join(dir, 'meta.json')), `${m} has no finished model`);
      assert.ok(!fs.existsSync(`${dir}.checkpoint`), `${m}'s checkpoint was not removed`);
      assert.ok(
        weights(dir).equals(weights(path.join(tmp, 'alone', m))),
        `${m}: weights differ from fer train run alone`,
      );
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')).epochsRun, 3);
    }
  }

  it('trains both to the end, the same as each alone; a rerun has nothing to do', async () => {
    const [r] = await Promise.all([paperRun('full'), alone()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /paper-run: cnn on 1 thread\(s\) \(log: /);
    assert.match(r.stderr, /paper-run: cnn-lstm on 1 thread\(s\) \(log: /);
    for (const m of MODELS) assert.match(r.stderr, new RegExp(`paper-run: ${m} exited with 0`));
    // Whichever finished first, the other was moved onto every core (or had already ended).
    const moved = /paper-run: (cnn|cnn-lstm) paused, to continue on every core/.exec(r.stderr);
    if (moved) {
      assert.match(r.stderr, new RegExp(`paper-run: ${moved[1]} on auto thread\\(s\\), resuming`));
    }
    assertFinishedLikeAlone('full');

    const logsBefore = MODELS.map((m) => log('full', m));
    const again = await paperRun('full');
    assert.equal(again.code, 0, again.stderr);
    for (const m of MODELS) assert.match(again.stderr, new RegExp(`paper-run: ${m} is finished`));
    assert.deepEqual(
      MODELS.map((m) => log('full', m)),
      logsBefore,
      'the rerun trained something',
    );
  });

  it('SIGTERM saves both and exits 130; a rerun resumes both to the same weights', async () => {
    let sent = false;
    const r = await paperRun('stopped', {
      onTick: (kill) => {
        // Once both are training (their header line is out), stop the script itself.
        if (!sent && MODELS.every((m) => / on wasm: .* up to 3 epochs/.test(log('stopped', m)))) {
          sent = true;
          kill();
        }
      },
    });
    assert.ok(sent, 'both trainings never started');
    assert.equal(r.code, 130, r.stderr);
    for (const m of MODELS) {
      assert.match(log('stopped', m), /interrupted: saved epoch \d+ at batch \d+\/\d+/);
      assert.ok(fs.existsSync(path.join(tmp, 'stopped', `${m}.checkpoint`, 'state.json')));
      assert.ok(!fs.existsSync(path.join(tmp, 'stopped', m, 'meta.json')));
    }

    const [again] = await Promise.all([paperRun('stopped'), alone()]);
    assert.equal(again.code, 0, again.stderr);
    for (const m of MODELS) {
      assert.match(again.stderr, new RegExp(`paper-run: ${m} on \\S+ thread\\(s\\), resuming`));
      assert.match(log('stopped', m), /continuing epoch \d+ at batch \d+\//);
    }
    assertFinishedLikeAlone('stopped');
  });

  it('a CSV that is not there: the script exits 1 and no model is written', async () => {
    const r = await paperRun('broken', { csv: path.join(tmp, 'missing.csv') });
    assert.equal(r.code, 1, r.stderr);
    // The first model to fail stops the other, which may not have reached the CSV yet.
    assert.ok(
      MODELS.some((m) => /missing\.csv/.test(log('broken', m))),
      r.stderr,
    );
    for (const m of MODELS) assert.ok(!fs.existsSync(path.join(tmp, 'broken', m)));
  });

  /**
   * The script's bookkeeping, deterministically: a fake `node` first on PATH stands in for
   * `fer train`. FAKE_<MODEL>="seconds:code[:linger]" (FAKE_<MODEL>_RESUME with --resume, else
   * FAKE_<MODEL>_AUTO on every core) says how long it runs, how it exits, and how long it
   * lingers after finishing. SIGTERM leaves a checkpoint folder and exits 130, as fer train does,
   * except while it lingers or when FAKE_<MODEL>_NOTRAP is set: then SIGTERM kills it (143), as
   * it does a fer train that is still loading or already exiting.
   */
  describe('bookkeeping (a fake fer train)', () => {
    let bin: string;
    before(() => {
      bin = path.join(tmp, 'fake-bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(
        path.join(bin, 'node'),
        `#!/usr/bin/env bash
model= out= resume=
while (($#)); do
  case $1 in --model) model=$2; shift ;; --out) out=$2; shift ;; --resume) resume=1 ;; esac
  shift
done
base=FAKE_\${model//-/_}; base=\${base^^}; var=$base
[[ $FER_WASM_THREADS == auto ]] && [[ -v \${base}_AUTO ]] && var=\${base}_AUTO
[[ $resume ]] && [[ -v \${base}_RESUME ]] && var=\${base}_RESUME
IFS=: read -r secs code linger <<<"\${!var}"
echo "fake $model threads=$FER_WASM_THREADS resume=\${resume:-0}"
[[ -v \${base}_NOTRAP ]] || trap 'mkdir -p "$out.checkpoint"; echo stopped; exit 130' TERM
sleep "$secs" & wait $!
((code)) || { mkdir -p "$out"; echo '{}' >"$out/meta.json"; rm -rf "$out.checkpoint"; }
trap - TERM
[[ $linger ]] && { sleep "$linger" & wait $!; }
exit "$code"
`,
        { mode: 0o755 },
      );
    });

    const fakeRun = (name: string, env: Record<string, string>) =>
      runScript(name, { ...env, PATH: `${bin}:${process.env.PATH ?? ''}` });

    it('both ending at once: exit 0, each reaped once', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await fakeRun(`same-${i}`, { FAKE_CNN: '0:0', FAKE_CNN_LSTM: '0:0' });
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /unbound|line \d+/);
        for (const m of MODELS)
          assert.equal(r.stderr.split(`paper-run: ${m} exited with 0`).length, 2, r.stderr);
      }
    });

    it('one finishing first moves the other onto every core, resuming it', async () => {
      const r = await fakeRun('moved', {
        FAKE_CNN: '0.2:0',
        FAKE_CNN_LSTM: '30:0',
        FAKE_CNN_LSTM_RESUME: '0:0',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.seconds < 20, `took ${r.seconds} s: the other model was not stopped`);
      assert.match(r.stderr, /cnn-lstm paused, to continue on every core/);
      assert.equal(
        log('moved', 'cnn-lstm'),
        'fake cnn-lstm threads=1 resume=0\nstopped\nfake cnn-lstm threads=auto resume=1\n',
      );
    });

    it('the other killed by the SIGTERM before its handler is set up (143): started again', async () => {
      const r = await fakeRun('untrapped', {
        FAKE_CNN: '0.2:0',
        FAKE_CNN_LSTM: '30:0',
        FAKE_CNN_LSTM_NOTRAP: '1',
        FAKE_CNN_LSTM_AUTO: '0:0',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /cnn-lstm paused, to continue on every core/);
      // Killed before it saved anything, so it starts again on every core, with no --resume.
      assert.equal(
        log('untrapped', 'cnn-lstm'),
        'fake cnn-lstm threads=1 resume=0\nfake cnn-lstm threads=auto resume=0\n',
      );
      assert.ok(fs.existsSync(path.join(tmp, 'untrapped', 'cnn-lstm', 'meta.json')));
    });

    it('the other killed by the SIGTERM after it finished (143): kept, not rerun', async () => {
      // cnn-lstm has written its model and is still exiting when cnn ends and the script stops it.
      const r = await fakeRun('exiting', { FAKE_CNN: '0.5:0', FAKE_CNN_LSTM: '0:0:30' });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.seconds < 20, `took ${r.seconds} s: the other model was not stopped`);
      assert.match(r.stderr, /cnn-lstm exited with 0/);
      assert.doesNotMatch(r.stderr, /paused/);
      assert.equal(log('exiting', 'cnn-lstm'), 'fake cnn-lstm threads=1 resume=0\n');
    });

    it('the first failure stops the other and is the exit status', async () => {
      const r = await fakeRun('failed', { FAKE_CNN: '30:0', FAKE_CNN_LSTM: '0.2:3' });
      assert.equal(r.code, 3, r.stderr);
      assert.ok(r.seconds < 20, `took ${r.seconds} s: the other model was not stopped`);
      assert.match(r.stderr, /cnn-lstm exited with 3[^]*cnn exited with 130/);
      assert.ok(fs.existsSync(path.join(tmp, 'failed', 'cnn.checkpoint')));
    });
  });
});
