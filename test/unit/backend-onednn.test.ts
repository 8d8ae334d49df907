/**
 * The onednn backend's native kernels (lib/backend/onednn) against the cpu backend, the
 * reference for tfjs's kernel semantics. Tolerance: max|a-b| / max|b| <= 1e-4. Each case also
 * checks that the kernel really ran natively (it was not delegated to wasm).
 *
 * Without the addon these tests skip with a message, except in CI (CI=true), where .ci/run
 * builds it and a missing addon is a failure.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../lib/backend';
import { onednnKernelCalls } from '../../lib/backend/onednn';
import { Rng } from '../../lib/util/rng';
import { requireOnednn } from '../fixtures/onednn';

const TOL = 1e-4;

function randn(rng: Rng, shape: number[]): Float32Array {
  const a = new Float32Array(shape.reduce((p, q) => p * q, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'length');
  let num = 0,
    den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return den === 0 ? num : num / den;
}

type Data = { values: Float32Array; shape: number[] };

/**
 * Runs `f` on fresh tensors on onednn and on cpu; returns both outputs and how often each
 * native kernel ran during the onednn run.
 */
async function onBoth(
  data: Data[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<{ got: Float32Array[]; want: Float32Array[]; native: Record<string, number> }> {
  const run = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const xs = data.map((d) => tf.tensor(d.values, d.shape));
      const out = f(...xs);
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
  };
  const before = { ...onednnKernelCalls() };
  const got = await run('onednn');
  const native: Record<string, number> = {};
  for (const [k, v] of Object.entries(onednnKernelCalls())) native[k] = v - (before[k] ?? 0);
  const want = await run('cpu');
  return { got, want, native };
}

function assertClose(got: Float32Array[], want: Float32Array[], what: string): void {
  got.forEach((g, i) => {
    const e = relErr(g, want[i]);
    assert.ok(e <= TOL, `${what} output ${i}: relative error ${e.toExponential(2)}`);
  });
}

function assertNative(native: Record<string, number>, kernels: string[]): void {
  for (const k of kernels) assert.ok((native[k] ?? 0) > 0, `${k} did not run natively`);
}

type Pad =
  'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

function randomPad(rng: Rng, kind: 'same' | 'valid' | 'explicit', k: number): Pad {
  if (kind !== 'explicit') return kind;
  return [
    [0, 0],
    [rng.int(k + 1), rng.int(k + 1)],
    [rng.int(k + 1), rng.int(k + 1)],
    [0, 0],
  ];
}

describe('onednn kernels vs cpu', function () {
  before(async function () {
    requireOnednn(this);
    await setupBackend('onednn');
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  describe('conv2d forward (Conv2D, FusedConv2D)', () => {
    const rng = new Rng(240);
    for (const k of [1, 3, 5])
      for (const [s, d] of [
        [1, 1],
        [2, 1],
        [1, 2],
      ])
        for (const padKind of ['same', 'valid', 'explicit'] as const)
          for (const n of [1, 17]) {
            const h = (k - 1) * d + 1 + rng.int(6);
            const w = (k - 1) * d + 1 + rng.int(6);
            const c = 1 + 2 * rng.int(3);
            const f = 1 + 2 * rng.int(4);
            const pad = randomPad(rng, padKind, k);
            it(`k=${k} s=${s} d=${d} pad=${JSON.stringify(pad)} x=[${n},${h},${w},${c}] f=${f}`, async () => {
              const xs = { values: randn(rng, [n, h, w, c]), shape: [n, h, w, c] };
              const ws = { values: randn(rng, [k, k, c, f]), shape: [k, k, c, f] };
              const bs = { values: randn(rng, [f]), shape: [f] };
              const r = await onBoth([xs, ws, bs], (x, wt, b) => [
                tf.conv2d(x as tf.Tensor4D, wt as tf.Tensor4D, s, pad, 'NHWC', d),
                tf.fused.conv2d({
                  x: x as tf.Tensor4D,
                  filter: wt as tf.Tensor4D,
                  strides: s,
                  pad,
                  dilations: d,
                  bias: b,
                  activation: 'relu',
                }),
              ]);
              assertClose(r.got, r.want, 'conv2d');
              assertNative(r.native, ['Conv2D', 'FusedConv2D']);
            });
          }

    it('every fused activation, with and without bias', async () => {
      const rng2 = new Rng(5);
      const xs = { values: randn(rng2, [3, 7, 6, 5]), shape: [3, 7, 6, 5] };
      const ws = { values: randn(rng2, [3, 3, 5, 7]), shape: [3, 3, 5, 7] };
      const bs = { values: randn(rng2, [7]), shape: [7] };
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const)
        for (const withBias of [false, true]) {
          const r = await onBoth([xs, ws, bs], (x, wt, b) =>
            tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: wt as tf.Tensor4D,
              strides: 1,
              pad: 'same',
              bias: withBias ? b : undefined,
              activation,
              leakyreluAlpha: 0.3,
            }),
          );
          assertClose(r.got, r.want, `${activation} bias=${withBias}`);
          assertNative(r.native, ['FusedConv2D']);
        }
    });
  });

  describe('conv2d gradients through tf.grads (Conv2DBackpropInput, Conv2DBackpropFilter)', () => {
    const rng = new Rng(20241206);
    for (const k of [1, 3, 5])
      for (const s of [1, 2])
        for (const padKind of ['same', 'valid', 'explicit'] as const)
          for (const n of [1, 17]) {
            const h = k + rng.int(6);
            const w = k + rng.int(6);
            const c = 1 + 2 * rng.int(3);
            const f = 1 + 2 * rng.int(3);
            const pad = randomPad(rng, padKind, k);
            it(`k=${k} s=${s} pad=${JSON.stringify(pad)} x=[${n},${h},${w},${c}] f=${f}`, async () => {
              const xs = { values: randn(rng, [n, h, w, c]), shape: [n, h, w, c] };
              const ws = { values: randn(rng, [k, k, c, f]), shape: [k, k, c, f] };
              const r = await onBoth([xs, ws], (x, wt) =>
                tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                  // A non-uniform upstream gradient, so that dy is not a constant.
                  tf
                    .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
                    .square()
                    .sum(),
                )([x, wt]),
              );
              assertClose(r.got, r.want, 'grads');
              assertNative(r.native, ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
            });
          }

    // tfjs fuses an activation only outside gradients; the bias stays fused.
    it('fused conv with bias: gradients of x, filter and bias', async () => {
      const rng2 = new Rng(9);
      const xs = { values: randn(rng2, [17, 9, 8, 3]), shape: [17, 9, 8, 3] };
      const ws = { values: randn(rng2, [5, 5, 3, 5]), shape: [5, 5, 3, 5] };
      const bs = { values: randn(rng2, [5]), shape: [5] };
      const r = await onBoth([xs, ws, bs], (x, wt, b) =>
        tf.grads((a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) =>
          tf.fused
            .conv2d({
              x: a as tf.Tensor4D,
              filter: f as tf.Tensor4D,
              strides: 2,
              pad: 'same',
              bias: c,
            })
            .square()
            .sum(),
        )([x, wt, b]),
      );
      assertClose(r.got, r.want, 'fused grads');
      assertNative(r.native, ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
    });
  });

  describe('matrix products (BatchMatMul, _FusedMatMul)', () => {
    const rng = new Rng(77);
    it('every transpose combination, batched and broadcast', async () => {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ])
        for (const [bA, bB] of [
          [1, 1],
          [3, 3],
          [3, 1],
          [1, 4],
        ]) {
          const aShape = [bA, ta ? 5 : 17, ta ? 17 : 5];
          const bShape = [bB, tb ? 9 : 5, tb ? 5 : 9];
          const r = await onBoth(
            [
              { values: randn(rng, aShape), shape: aShape },
              { values: randn(rng, bShape), shape: bShape },
            ],
            (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb),
          );
          assertClose(r.got, r.want, `matMul ta=${ta} tb=${tb} batch ${bA}/${bB}`);
          assertNative(r.native, ['BatchMatMul']);
        }
    });

    it('fused dense layer (bias, activations) and its gradients', async () => {
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const)
        for (const m of [1, 17]) {
          const a = { values: randn(rng, [m, 33]), shape: [m, 33] };
          const b = { values: randn(rng, [33, 7]), shape: [33, 7] };
          const bias = { values: randn(rng, [7]), shape: [7] };
          const r = await onBoth([a, b, bias], (x, w, c) => [
            tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c, activation }),
            ...tf.grads((p: tf.Tensor, q: tf.Tensor, z: tf.Tensor) =>
              tf.fused
                .matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: z, activation })
                .square()
                .sum(),
            )([x, w, c]),
          ]);
          assertClose(r.got, r.want, `${activation} m=${m}`);
          assertNative(r.native, ['_FusedMatMul', 'BatchMatMul']);
        }
    });
  });

  describe('max pooling (MaxPool, MaxPoolGrad)', () => {
    const rng = new Rng(31);
    for (const [size, stride, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'same'],
      [2, 3, 'valid'],
      [5, 2, 'same'],
    ] as [number, number, 'same' | 'valid'][])
      for (const n of [1, 17])
        it(`size ${size} stride ${stride} ${pad}, batch ${n}, ties included`, async () => {
          const shape = [n, 7 + rng.int(4), 6 + rng.int(4), 1 + 2 * rng.int(4)];
          // Rounded values make ties common, like the zeros ReLU leaves (first maximum wins).
          const v = randn(rng, shape).map((q) => Math.max(0, Math.round(q)));
          const r = await onBoth([{ values: v, shape }], (x) => [
            tf.maxPool(x as tf.Tensor4D, size, stride, pad),
            tf.grad((a: tf.Tensor) =>
              tf
                .maxPool(a as tf.Tensor4D, size, stride, pad)
                .square()
                .sum(),
            )(x),
          ]);
          assertClose(r.got, r.want, `maxPool ${size}/${stride}/${pad}`);
          assertNative(r.native, ['MaxPool', 'MaxPoolGrad']);
        });
  });

  describe('memory-bound kernels (element-wise, reductions, batch norm)', () => {
    const rng = new Rng(57);
    const big = [17, 9, 8, 33]; // over the addon's threading threshold of 2^15 elements
    const shapes: [number[], number[]][] = [
      [big, big],
      [big, [33]],
      [[33], big],
      [big, [1, 1, 1, 33]],
      [big, [8, 33]],
      [big, []],
      [[], big],
      [
        [5, 3],
        [5, 3],
      ],
      [big, [17, 1, 1, 33]], // a broadcast the addon leaves to wasm
    ];
    for (const [sa, sb] of shapes)
      it(`Add, Sub, Multiply, RealDiv, SquaredDifference, Maximum, Minimum: [${sa}] with [${sb}]`, async () => {
        const a = { values: randn(rng, sa), shape: sa };
        const b = { values: randn(rng, sb), shape: sb };
        const r = await onBoth([a, b], (x, y) => [
          tf.add(x, y),
          tf.sub(x, y),
          tf.mul(x, y),
          tf.div(x, y),
          tf.squaredDifference(x, y),
          tf.maximum(x, y),
          tf.minimum(x, y),
        ]);
        assertClose(r.got, r.want, `[${sa}] op [${sb}]`);
        const delegated = sb.length === 4 && sb[0] === 17 && sb[1] === 1;
        if (!delegated) assertNative(r.native, ['Add', 'Sub', 'Multiply', 'RealDiv']);
        else assert.equal(r.native.Add ?? 0, 0);
      });

    it('Square, Relu, Relu6, Step, Neg, Sqrt, Rsqrt (NaN included)', async () => {
      const v = randn(rng, big).map((q, i) => (i % 97 === 0 ? NaN : q * 4));
      const r = await onBoth([{ values: v, shape: big }], (x) => [
        tf.square(x),
        tf.relu(x),
        tf.relu6(x),
        tf.step(x, 0.3),
        tf.neg(x),
        tf.sqrt(tf.abs(x)),
        tf.rsqrt(tf.abs(x).add(0.1)),
      ]);
      r.got.forEach((g, i) => {
        const w = r.want[i];
        for (let j = 0; j < w.length; j++)
          assert.equal(Number.isNaN(g[j]), Number.isNaN(w[j]), `output ${i} NaN at ${j}`);
      });
      const finite = (xs: Float32Array[]): Float32Array[] =>
        xs.map((a) => a.map((q) => (Number.isNaN(q) ? 0 : q)));
      assertClose(finite(r.got), finite(r.want), 'unary');
      assertNative(r.native, ['Square', 'Relu', 'Relu6', 'Step', 'Neg', 'Sqrt', 'Rsqrt']);
    });

    it('Sum and Mean over every contiguous axis set, with and without keepDims', async () => {
      const v = randn(rng, big);
      for (const axis of [[0], [0, 1, 2], [1, 2], [1], [3], [2, 3], [0, 1, 2, 3], null])
        for (const keepDims of [false, true]) {
          const r = await onBoth([{ values: v, shape: big }], (x) => [
            tf.sum(x, axis ?? undefined, keepDims),
            tf.mean(x, axis ?? undefined, keepDims),
          ]);
          assertClose(r.got, r.want, `axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
          assertNative(r.native, ['Sum', 'Mean']);
        }
      const r = await onBoth([{ values: v, shape: big }], (x) => tf.sum(x, [0, 2]));
      assertClose(r.got, r.want, 'axes [0, 2]');
    });

    it('FusedBatchNorm with and without offset and scale, and its gradients', async () => {
      const x = { values: randn(rng, big), shape: big };
      const c = big[3];
      const mean = { values: randn(rng, [c]), shape: [c] };
      const variance = { values: randn(rng, [c]).map((q) => q * q + 0.1), shape: [c] };
      const offset = { values: randn(rng, [c]), shape: [c] };
      const scale = { values: randn(rng, [c]), shape: [c] };
      const r = await onBoth([x, mean, variance, offset, scale], (xt, m, vv, o, sc) => [
        tf.batchNorm(xt, m, vv, o, sc, 1e-3),
        tf.batchNorm(xt, m, vv, undefined, undefined, 1e-3),
        ...tf.grads((a: tf.Tensor, mm: tf.Tensor, v2: tf.Tensor, oo: tf.Tensor, ss: tf.Tensor) =>
          tf.batchNorm(a, mm, v2, oo, ss, 1e-3).square().sum(),
        )([xt, m, vv, o, sc]),
      ]);
      assertClose(r.got, r.want, 'batchNorm');
      assertNative(r.native, ['FusedBatchNorm']);
    });

    it('Identity shares memory safely (clone, then dispose the original)', async () => {
      await tf.setBackend('onednn');
      const a = tf.tensor([1, 2, 3]);
      const b = tf.clone(a);
      a.dispose();
      assert.deepEqual(Array.from(await b.data()), [1, 2, 3]);
      b.dispose();
    });
  });

  it('delegates what oneDNN does not fuse (prelu) to wasm, with cpu results', async () => {
    const rng = new Rng(4);
    const xs = { values: randn(rng, [2, 6, 6, 3]), shape: [2, 6, 6, 3] };
    const ws = { values: randn(rng, [3, 3, 3, 4]), shape: [3, 3, 3, 4] };
    const alpha = { values: randn(rng, [4]), shape: [4] };
    const r = await onBoth([xs, ws, alpha], (x, wt, a) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: wt as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        activation: 'prelu',
        preluActivationWeights: a,
      }),
    );
    assertClose(r.got, r.want, 'prelu conv');
    assert.equal(r.native.FusedConv2D ?? 0, 0);
  });
});
