import { strict as assert } from 'node:assert';
import {
  CORRUPTIONS,
  CORRUPTION_SPECS,
  SEVERITIES,
  corrupt,
  jpegQuantTable,
  type Severity,
} from '../../lib/robustness/corruptions';
import { Rng } from '../../lib/util/rng';

const N = 2304;

/** n smooth, face-like test images: gradients plus mild texture, all strictly inside 0..255. */
function images(n: number, seed = 1): Uint8Array {
  const r = new Rng(seed);
  const out = new Uint8Array(n * N);
  for (let i = 0; i < n; i++) {
    const a = 60 + r.next() * 60,
      fx = 3 + r.next() * 5,
      fy = 4 + r.next() * 6;
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 48; x++)
        out[i * N + y * 48 + x] = Math.round(
          Math.min(
            230,
            Math.max(25, 128 + a * Math.sin(x / fx) * Math.cos(y / fy) + r.normal() * 6),
          ),
        );
  }
  return out;
}

const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
};
const std = (a: ArrayLike<number>): number => {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - m) ** 2;
  return Math.sqrt(s / a.length);
};
const mse = (a: Uint8Array, b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
};
/** Std of clip(mu + sigma Z, lo, hi) for Z ~ N(0,1), by numerical integration. */
function clippedNormalStd(mu: number, sigma: number, lo: number, hi: number): number {
  let m1 = 0,
    m2 = 0;
  const dz = 1e-3;
  for (let z = -10; z < 10; z += dz) {
    const w = (Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)) * dz;
    const v = Math.min(hi, Math.max(lo, mu + sigma * z));
    m1 += w * v;
    m2 += w * v * v;
  }
  return Math.sqrt(m2 - m1 * m1);
}
const constant = (v: number, n = 1): Uint8Array => new Uint8Array(n * N).fill(v);

describe('corruptions (ImageNet-C style suite)', () => {
  const x = images(8);

  it('has 8 families with 5 severities each', () => {
    assert.equal(CORRUPTIONS.length, 8);
    for (const c of CORRUPTIONS) assert.equal(CORRUPTION_SPECS[c].values.length, 5);
  });

  for (const name of CORRUPTIONS) {
    describe(name, () => {
      it('is pure and deterministic for a seed', () => {
        const copy = x.slice();
        const a = corrupt(x, name, 3, { seed: 11 });
        assert.deepEqual(x, copy, 'input modified');
        assert.deepEqual(corrupt(x, name, 3, { seed: 11 }), a);
      });

      it('corrupts an image the same way whatever batch it is in', () => {
        const all = corrupt(x, name, 2, { seed: 4 });
        const one = corrupt(x.subarray(3 * N, 4 * N), name, 2, { seed: 4, ids: [3] });
        assert.deepEqual(one, all.subarray(3 * N, 4 * N));
      });

      it('damages more as severity grows', () => {
        const errs = SEVERITIES.map((s) => mse(corrupt(x, name, s, { seed: 2 }), x));
        assert.ok(errs[0] > 0, `${name} at severity 1 changed nothing`);
        // Monotone in expectation; allow the occluder's random position a little slack.
        for (let s = 1; s < 5; s++)
          assert.ok(errs[s] >= errs[s - 1] * 0.97, `${name}: ${errs.join(', ')}`);
        assert.ok(errs[4] > errs[0] * 1.5, `${name}: ${errs.join(', ')}`);
      });
    });
  }

  it('gaussian-noise adds N(0, (c*255)^2), clipped, on a mid-grey image', () => {
    const g = constant(128, 20);
    for (const s of SEVERITIES) {
      const sigma = CORRUPTION_SPECS['gaussian-noise'].values[s - 1] * 255;
      const y = corrupt(g, 'gaussian-noise', s as Severity, { seed: 3 });
      const expected = clippedNormalStd(128, sigma, 0, 255);
      assert.ok(Math.abs(mean(y) - 128) < 1.5);
      assert.ok(Math.abs(std(y) / expected - 1) < 0.03, `sev ${s}: std ${std(y)} vs ${expected}`);
    }
  });

  it('salt-pepper replaces a fraction c of pixels with 0 or 255 in equal measure', () => {
    const g = constant(128, 20);
    for (const s of SEVERITIES) {
      const c = CORRUPTION_SPECS['salt-pepper'].values[s - 1];
      const y = corrupt(g, 'salt-pepper', s as Severity, { seed: 5 });
      let black = 0,
        white = 0,
        other = 0;
      for (const v of y) {
        if (v === 0) black++;
        else if (v === 255) white++;
        else if (v !== 128) other++;
      }
      assert.equal(other, 0);
      assert.ok(Math.abs((black + white) / y.length - c) < 0.01, `sev ${s}`);
      assert.ok(Math.abs(black / (black + white) - 0.5) < 0.06);
    }
  });

  it('gaussian-blur keeps a constant image and the mean, and lowers the variance', () => {
    assert.deepEqual(corrupt(constant(77), 'gaussian-blur', 5, { seed: 0 }), constant(77));
    const y = corrupt(x, 'gaussian-blur', 4, { seed: 0 });
    assert.ok(Math.abs(mean(y) - mean(x)) < 1);
    assert.ok(std(y) < std(x));
  });

  it('occlusion blacks out exactly one square of side round(48c), inside the image', () => {
    const w = constant(200, 30);
    for (const s of SEVERITIES) {
      const side = Math.round(48 * CORRUPTION_SPECS.occlusion.values[s - 1]);
      const y = corrupt(w, 'occlusion', s as Severity, { seed: 9 });
      for (let i = 0; i < 30; i++) {
        const img = y.subarray(i * N, (i + 1) * N);
        let zeros = 0,
          minX = 48,
          maxX = -1,
          minY = 48,
          maxY = -1;
        img.forEach((v, p) => {
          if (v === 0) {
            zeros++;
            const yy = Math.floor(p / 48),
              xx = p % 48;
            minX = Math.min(minX, xx);
            maxX = Math.max(maxX, xx);
            minY = Math.min(minY, yy);
            maxY = Math.max(maxY, yy);
          } else assert.equal(v, 200);
        });
        assert.equal(zeros, side * side);
        assert.equal(maxX - minX + 1, side);
        assert.equal(maxY - minY + 1, side);
      }
    }
  });

  it('brightness shifts by c*255 and clips', () => {
    const y = corrupt(constant(100), 'brightness', 2, { seed: 0 });
    assert.ok(y.every((v) => v === Math.round(100 + 0.2 * 255)));
    assert.ok(corrupt(constant(250), 'brightness', 1, { seed: 0 }).every((v) => v === 255));
  });

  it('contrast scales deviations from the mean by c', () => {
    for (const s of SEVERITIES) {
      const c = CORRUPTION_SPECS.contrast.values[s - 1];
      const y = corrupt(x.subarray(0, N), 'contrast', s as Severity, { seed: 0 });
      assert.ok(Math.abs(mean(y) - mean(x.subarray(0, N))) < 0.6);
      assert.ok(Math.abs(std(y) - c * std(x.subarray(0, N))) < 0.6, `sev ${s}`);
    }
  });

  it('jpeg uses libjpeg quality scaling and keeps block means', () => {
    assert.deepEqual(Array.from(jpegQuantTable(50).slice(0, 4)), [16, 11, 10, 16]);
    assert.equal(jpegQuantTable(100)[0], 1);
    assert.equal(jpegQuantTable(25)[0], 32);
    // A flat image stays flat; its level moves by at most half a DC quantisation step (q[0] / 16).
    const flat = corrupt(constant(64), 'jpeg', 5, { seed: 0 });
    assert.ok(flat.every((v) => v === flat[0]));
    assert.ok(Math.abs(flat[0] - 64) <= jpegQuantTable(7)[0] / 16, `flat 64 became ${flat[0]}`);
    const y = corrupt(x, 'jpeg', 3, { seed: 0 });
    assert.ok(Math.abs(mean(y) - mean(x)) < 1);
  });

  it('jpeg matches a real libjpeg round trip (sharp), when sharp is installed', async function () {
    let sharp: (typeof import('sharp'))['default'];
    try {
      sharp = (await import('sharp')).default;
    } catch {
      return this.skip();
    }
    for (const s of SEVERITIES) {
      const q = CORRUPTION_SPECS.jpeg.values[s - 1];
      for (let i = 0; i < 4; i++) {
        const img = x.subarray(i * N, (i + 1) * N);
        const jpg = await sharp(Buffer.from(img), { raw: { width: 48, height: 48, channels: 1 } })
          .jpeg({ quality: q })
          .toBuffer();
        const ref = await sharp(jpg).extractChannel(0).raw().toBuffer();
        const ours = corrupt(img, 'jpeg', s, { seed: 0 });
        let d = 0,
          e = 0;
        for (let p = 0; p < N; p++) {
          d += Math.abs(ours[p] - ref[p]);
          e += Math.abs(img[p] - ref[p]);
        }
        // libjpeg's integer DCT differs from ours by rounding only: far below JPEG's own error.
        assert.ok(
          d / N < 0.5 && d < 0.1 * e,
          `q=${q}: mean |ours-libjpeg| ${d / N}, jpeg error ${e / N}`,
        );
      }
    }
  });

  it('downscale keeps a constant image and the mean, and loses detail', () => {
    assert.deepEqual(corrupt(constant(90), 'downscale', 5, { seed: 0 }), constant(90));
    const y = corrupt(x, 'downscale', 5, { seed: 0 });
    assert.ok(Math.abs(mean(y) - mean(x)) < 1.5);
    assert.ok(std(y) < std(x));
  });

  it('rejects bad arguments', () => {
    assert.throws(() => corrupt(x, 'fog' as never, 1, { seed: 0 }), /unknown corruption 'fog'/);
    assert.throws(() => corrupt(x, 'jpeg', 6 as Severity, { seed: 0 }), /severity must be 1..5/);
    assert.throws(
      () => corrupt(new Uint8Array(100), 'jpeg', 1, { seed: 0 }),
      /not a multiple of 2304/,
    );
  });
});
