/** `fer backends`: which tfjs compute backends can run here, and why the others cannot. */
import { parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer backends [--json]
      Probe every tfjs backend in the order '--backend auto' tries them (tfjs-node-gpu,
      tfjs-node, webgpu, onednn, wasm, cpu) and print each as available or unavailable with the reason,
      plus whether it is deterministic for a fixed seed (onednn: the oneDNN version and the
      implementation its convolutions dispatch to, e.g. jit:avx512_core). Every command that computes accepts
      --backend <auto|tfjs-node-gpu|tfjs-node|webgpu|onednn|wasm|cpu> (default: $FER_BACKEND or auto).`;

export const backendsCommand: Command = {
  name: 'backends',
  summary: 'list the tfjs compute backends available here, with reasons',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { booleans: ['json'] });
    // Loaded lazily: tfjs start-up is not needed for `fer help`.
    const { probeBackends, AUTO_ORDER, DETERMINISM } = await import('../../backend');
    const probes = await probeBackends();
    const chosen = probes.find((p) => p.available)?.name;
    if (args.flags.has('json')) {
      const rows = probes.map((p) => ({ ...p, deterministic: DETERMINISM[p.name] }));
      console.log(JSON.stringify({ order: AUTO_ORDER, auto: chosen, backends: rows }, null, 2));
      return 0;
    }
    const width = Math.max(...probes.map((p) => p.name.length));
    for (const p of probes) {
      const state = p.available ? 'available  ' : 'unavailable';
      const mark = p.name === chosen ? ' <- auto' : '';
      console.log(`${p.name.padEnd(width)}  ${state}  ${p.reason}${mark}`);
    }
    console.log(`\nauto picks: ${chosen ?? 'none'}`);
    for (const p of probes.filter((q) => q.available))
      console.log(`${p.name}: ${DETERMINISM[p.name]}`);
    return 0;
  },
};
