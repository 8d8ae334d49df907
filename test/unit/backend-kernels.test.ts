/**
 * The project's wasm kernels (lib/backend/wasm-*.ts) against the cpu backend, which is the
 * reference implementation of tfjs's kernel semantics. Tolerance: max|a-b| / max|b| <= 1e-4.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../lib/backend';
import { Rng } from '../../lib/util/rng';

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

/** Runs `f` on fresh tensors built from `data` on each backend; returns [wasm, cpu] outputs. */
async function onBoth(
  data: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<[Float32Array[], Float32Array[]]> {
  const run = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const xs = data.map((d) => tf.tensor(d.values, d.shape));
      const out = f(...xs);
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
  };
  const w = await run('wasm');
  const c = await run('cpu');
  return [w, c];
}

function assertClose(got: Float32Array[], want: Float32Array[], what: string): void {
  got.forEach((g, i) => {
    const e = relErr(g, want[i]);
    assert.ok(e <= TOL, `${what} output ${i}: relative error ${e.toExponential(2)}`);
  });
}

describe('wasm training kernels vs cpu', function () {
  before(async () => {
    await setupBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  describe('conv2d gradients through tf.grads', () => {
    const rng = new Rng(20240611);
    const pads: ('same' | 'valid' | 'explicit')[] = ['same', 'valid', 'explicit'];
    for (const k of [1, 3, 5])
      for (const s of [1, 2])
        for (const padKind of pads)
          for (const n of [1, 17]) {
            const h = k + rng.int(5);
            const w = k + rng.int(5);
            const c = 1 + rng.int(4);
            const f = 1 + rng.int(4);
            const pad:
              | 'same'
              | 'valid'
              | [[number, number], [number, number], [number, number], [number, number]] =
              padKind === 'explicit'
                ? [
                    [0, 0],
                    [rng.int(k + 2), rng.int(k + 2)],
                    [rng.int(k + 2), rng.int(k + 2)],
                    [0, 0],
                  ]
                : padKind;
            it(`k=${k} s=${s} pad=${JSON.stringify(pad)} x=[${n},${h},${w},${c}] f=${f}`, async () => {
              const xs = { values: randn(rng, [n, h, w, c]), shape: [n, h, w, c] };
              const ws = { values: randn(rng, [k, k, c, f]), shape: [k, k, c, f] };
              const [got, want] = await onBoth([xs, ws], (x, wt) => {
                const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
                  // A non-uniform upstream gradient, so that dy is not a constant.
                  tf
                    .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
                    .square()
                    .sum(),
                );
                return g([x, wt]);
              });
              assertClose(got, want, 'grads');
            });
          }
  });

  describe('kernels called directly with every attribute', () => {
    const rng = new Rng(7);
    const cases: {
      name: string;
      fmt: 'NHWC' | 'NCHW';
      s: [number, number];
      pad: 'same' | 'valid' | number | number[][];
      round?: 'floor' | 'round' | 'ceil';
      k: [number, number];
    }[] = [
      { name: 'NCHW same stride 2', fmt: 'NCHW', s: [2, 2], pad: 'same', k: [3, 3] },
      {
        name: 'NCHW explicit',
        fmt: 'NCHW',
        s: [1, 2],
        pad: [
          [0, 0],
          [0, 0],
          [2, 0],
          [1, 3],
        ],
        k: [3, 2],
      },
      {
        name: 'numeric pad, ceil rounding',
        fmt: 'NHWC',
        s: [2, 2],
        pad: 1,
        round: 'ceil',
        k: [3, 3],
      },
      {
        name: 'numeric pad, floor rounding',
        fmt: 'NHWC',
        s: [2, 1],
        pad: 2,
        round: 'floor',
        k: [2, 3],
      },
      {
        name: 'explicit pad larger than the kernel',
        fmt: 'NHWC',
        s: [2, 2],
        pad: [
          [0, 0],
          [4, 3],
          [0, 5],
          [0, 0],
        ],
        k: [3, 3],
      },
      {
        name: 'non-square stride and kernel, valid',
        fmt: 'NHWC',
        s: [3, 1],
        pad: 'valid',
        k: [1, 4],
      },
    ];
    for (const cs of cases)
      it(cs.name, async () => {
        const [n, h, w, c, f] = [3, 9, 8, 2, 3];
        const xShape = cs.fmt === 'NHWC' ? [n, h, w, c] : [n, c, h, w];
        const fShape = [cs.k[0], cs.k[1], c, f];
        const dims = tf.backend_util.computeConv2DInfo(
          xShape as [number, number, number, number],
          fShape as [number, number, number, number],
          cs.s,
          1,
          cs.pad as 'same',
          cs.round,
          false,
          cs.fmt === 'NHWC' ? 'channelsLast' : 'channelsFirst',
        );
        const x = { values: randn(rng, xShape), shape: xShape };
        const wt = { values: randn(rng, fShape), shape: fShape };
        const dy = { values: randn(rng, dims.outShape), shape: dims.outShape };
        const common = {
          strides: cs.s,
          pad: cs.pad,
          dataFormat: cs.fmt,
          dimRoundingMode: cs.round,
        };
        const [got, want] = await onBoth([x, wt, dy], (xt, ft, dyt) => [
          tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: ft }, {
            ...common,
            inputShape: xShape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
          tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, {
            ...common,
            filterShape: fShape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        ]);
        assertClose(got, want, cs.name);
      });
  });

  describe('memory-bound kernels', () => {
    const rng = new Rng(11);
    it('Tile of every rank, int32 included', async () => {
      for (const [shape, reps] of [
        [[3], [4]],
        [
          [1, 1, 1, 5],
          [4, 3, 2, 1],
        ],
        [
          [2, 3],
          [3, 1],
        ],
        [
          [2, 1, 3],
          [1, 4, 2],
        ],
      ]) {
        const v = randn(rng, shape);
        const [got, want] = await onBoth([{ values: v, shape }], (x) => tf.tile(x, reps));
        assertClose(got, want, `tile ${shape} x ${reps}`);
      }
      await tf.setBackend('wasm');
      const t = tf.tile(tf.tensor([1, 2, 3], [3], 'int32'), [2]);
      assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3, 1, 2, 3]);
      assert.equal(t.dtype, 'int32');
    });

    it('Sum and Mean over every axis set, with and without keepDims', async () => {
      const shape = [4, 3, 5, 6];
      const v = randn(rng, shape);
      for (const axis of [[0], [0, 1, 2], [1, 2], [1], [3], [2, 3], [0, 2], null])
        for (const keepDims of [false, true]) {
          const [got, want] = await onBoth([{ values: v, shape }], (x) => [
            tf.sum(x, axis ?? undefined, keepDims),
            tf.mean(x, axis ?? undefined, keepDims),
          ]);
          assertClose(got, want, `axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
        }
    });

    it('Sum and Mean give the cpu shapes', async () => {
      await tf.setBackend('wasm');
      const x = tf.ones([2, 3, 4, 5]);
      assert.deepEqual(tf.sum(x, [0, 1, 2], true).shape, [1, 1, 1, 5]);
      assert.deepEqual(tf.mean(x, [1, 2]).shape, [2, 5]);
      assert.deepEqual(Array.from(tf.mean(x, [0, 1, 2]).dataSync()), [1, 1, 1, 1, 1]);
    });

    it('MaxPool gradient, ties included (first maximum wins, as on cpu)', async () => {
      for (const [size, stride, pad] of [
        [2, 2, 'valid'],
        [3, 2, 'same'],
        [3, 1, 'same'],
        [2, 3, 'valid'],
      ] as [number, number, 'same' | 'valid'][]) {
        const shape = [2, 7, 6, 3];
        // Rounded values make ties common, like the zeros ReLU leaves.
        const v = randn(rng, shape).map((q) => Math.max(0, Math.round(q)));
        const [got, want] = await onBoth([{ values: v, shape }], (x) =>
          tf.grad((a: tf.Tensor) =>
            tf
              .maxPool(a as tf.Tensor4D, size, stride, pad)
              .square()
              .sum(),
          )(x),
        );
        assertClose(got, want, `maxPool ${size}/${stride}/${pad}`);
      }
    });

    it('BatchMatMul with every transpose combination, batched and broadcast', async () => {
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
        ]) {
          const aShape = [bA, ta ? 5 : 4, ta ? 4 : 5];
          const bShape = [bB, tb ? 6 : 5, tb ? 5 : 6];
          const [got, want] = await onBoth(
            [
              { values: randn(rng, aShape), shape: aShape },
              { values: randn(rng, bShape), shape: bShape },
            ],
            (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, ta, tb),
          );
          assertClose(got, want, `matMul ta=${ta} tb=${tb} batch ${bA}/${bB}`);
        }
    });
  });

  it('a training step of a small conv net matches cpu', async () => {
    const rng = new Rng(3);
    const xs = { values: randn(rng, [17, 12, 12, 1]), shape: [17, 12, 12, 1] };
    const ys = {
      values: new Float32Array(17 * 4).map((_, i) => (i % 4 === (i >> 2) % 4 ? 1 : 0)),
      shape: [17, 4],
    };
    const step = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [12, 12, 1],
            filters: 4,
            kernelSize: 3,
            padding: 'same',
            useBias: false,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          tf.layers.batchNormalization(),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({
            filters: 6,
            kernelSize: 5,
            padding: 'same',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          }),
          tf.layers.flatten(),
          tf.layers.dense({
            units: 4,
            activation: 'softmax',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
          }),
        ],
      });
      // No bias before BatchNorm: its exact gradient is 0, so only rounding noise would be compared.
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
      const x = tf.tensor(xs.values, xs.shape);
      const y = tf.tensor(ys.values, ys.shape);
      await model.trainOnBatch(x, y);
      const out = model.getWeights().map((t) => t.dataSync() as Float32Array);
      tf.dispose([x, y]);
      model.dispose();
      return out;
    };
    const got = await step('wasm');
    const want = await step('cpu');
    // Weights after one SGD step: accumulated rounding differences stay tiny.
    got.forEach((g, i) => {
      const e = relErr(g, want[i]);
      assert.ok(e <= 1e-4, `weight ${i}: relative error ${e.toExponential(2)}`);
    });
  });
});
