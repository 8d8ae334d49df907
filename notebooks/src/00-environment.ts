// %% [markdown]
// # 00 · Environment
//
// *Vitkovskyi, Potapova & Martynova* compare a plain CNN with a CNN+LSTM hybrid on FER2013 and
// report accuracy, F1, parameters and processing time per image (their Tables 1–5). The paper
// does not name its hardware, batch size or software versions, so its timings (Table 2) cannot
// be compared in absolute terms. This notebook records ours: the tfjs backends that work on
// this machine, the package versions and the hardware. The report (notebook 09) repeats them.
//
// **How these notebooks reach `lib/`.** tslab type-checks every cell with its own compiler
// and refuses files outside the notebook's folder, so `import … from '../lib/data'` does not
// compile. The first cell of each notebook therefore (re)builds `./.lib/`: one small shim per
// module of `lib/` that runs the real TypeScript source through `tsx`, plus declarations emitted
// by `tsc` for the type checker (see `tools/notebooks/bridge.ts`). It is a no-op when `lib/` has not
// changed.

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv } from './.lib/env';
import { probeBackends, DETERMINISM } from './.lib/backend';
import { collectProvenance } from './.lib/report/provenance';
import { showTable, showMarkdown } from './.lib/notebook/display';

const env = readStudyEnv();
showTable(
  [
    { parameter: 'FER_PROFILE', value: env.profile },
    { parameter: 'FER_BACKEND', value: env.backend },
    { parameter: 'FER2013_CSV', value: env.csv ?? '(unset)' },
    { parameter: 'FER_RETRAIN', value: String(env.retrain) },
  ],
  { caption: 'Parameters of this run (environment variables, read by lib/env.ts)' },
);

// %% [markdown]
// ## Backends
//
// `lib/backend` tries the tfjs backends fastest first: native TensorFlow with CUDA, native
// TensorFlow on CPU, WebGPU (Dawn, via the `webgpu` package), WebAssembly with our extra
// training kernels, and the pure-JavaScript CPU backend. `FER_BACKEND=auto` takes the first that
// works. Whether a backend is bit-for-bit deterministic matters for reproducing a training run.

// %%
const probes = await probeBackends();
showTable(
  probes.map((p) => ({
    backend: p.name,
    available: p.available ? 'yes' : 'no',
    detail: p.reason,
    determinism: DETERMINISM[p.name],
  })),
  { caption: 'tfjs backends on this machine' },
);

// %% [markdown]
// ## Versions and hardware

// %%
const prov = collectProvenance();
showTable(
  [
    { item: 'git commit', value: `${prov.gitCommit ?? 'unknown'}${prov.gitDirty ? ' (with uncommitted changes)' : ''}` },
    { item: 'node', value: prov.node },
    { item: 'platform', value: prov.platform },
    { item: 'CPU', value: `${prov.cpu.model} × ${prov.cpu.cores}` },
    { item: 'memory', value: `${prov.memoryGiB} GiB` },
    { item: 'GPU', value: prov.gpus.length ? prov.gpus.join('; ') : 'none found (nvidia-smi)' },
    { item: 'Chromium', value: prov.tools.chromium ?? 'not found' },
    { item: 'nbconvert', value: prov.tools.nbconvert ?? 'not found' },
    ...Object.entries(prov.packages).map(([k, v]) => ({ item: k, value: v ?? 'not installed' })),
  ],
  { caption: 'Software and hardware' },
);
showMarkdown(
  prov.gpus.length
    ? 'A GPU is present; training in the `paper` profile can use it through `tfjs-node-gpu` or WebGPU.'
    : 'No GPU: the `quick` profile is sized for this (small models, a subset of the data); the `paper` profile needs a GPU in practice.',
);
