/**
 * Image corruptions for the robustness suite, after ImageNet-C (Hendrycks & Dietterich, 2019):
 * 8 families x 5 severities, each a pure, seeded function from 8-bit 48x48 greyscale images to new
 * 8-bit images. Working on Uint8 (not floats) is deliberate: a real camera hands over 8-bit
 * pixels, so every corrupted image is one that could exist on disk.
 *
 * Spatial parameters (blur sigma, occluder size, pixelation) are ImageNet-C's 224 px settings
 * rescaled to 48 px faces; photometric ones (noise, brightness, contrast, JPEG quality) are
 * ImageNet-C's own values. Randomness is derived per image from (seed, image id), so an image is
 * corrupted the same way whatever batch it is in.
 */
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../data/classes';
import { Rng } from '../util/rng';
import { FerError } from '../util/errors';

export const CORRUPTIONS = [
  'gaussian-noise',
  'salt-pepper',
  'gaussian-blur',
  'occlusion',
  'brightness',
  'contrast',
  'jpeg',
  'downscale',
] as const;
export type CorruptionName = (typeof CORRUPTIONS)[number];
export type Severity = 1 | 2 | 3 | 4 | 5;
export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4, 5];

export interface CorruptionSpec {
  name: CorruptionName;
  /** What the parameter means, in one line. */
  parameter: string;
  /** The parameter at severities 1..5. */
  values: readonly [number, number, number, number, number];
  description: string;
}

export const CORRUPTION_SPECS: Record<CorruptionName, CorruptionSpec> = {
  'gaussian-noise': {
    name: 'gaussian-noise',
    parameter: 'sigma as a fraction of the 0..255 range',
    values: [0.08, 0.12, 0.18, 0.26, 0.38],
    description:
      'x + N(0, sigma^2), clipped; ImageNet-C values (the paper uses the same model with other sigmas)',
  },
  'salt-pepper': {
    name: 'salt-pepper',
    parameter: 'fraction of pixels replaced by 0 or 255',
    values: [0.03, 0.06, 0.09, 0.17, 0.27],
    description: 'impulse noise: each pixel independently set to black or white (equal odds)',
  },
  'gaussian-blur': {
    name: 'gaussian-blur',
    parameter: 'kernel sigma in pixels',
    values: [0.5, 0.8, 1.1, 1.5, 2.0],
    description: 'out-of-focus camera: separable Gaussian blur, edges replicated',
  },
  occlusion: {
    name: 'occlusion',
    parameter: 'side of the square occluder as a fraction of the image side',
    values: [0.15, 0.25, 0.35, 0.45, 0.55],
    description: 'a hand, a mask: one black square at a random position, fully inside the image',
  },
  brightness: {
    name: 'brightness',
    parameter: 'added brightness as a fraction of the 0..255 range',
    values: [0.1, 0.2, 0.3, 0.4, 0.5],
    description: 'over-exposure: x + c, clipped (ImageNet-C adds c to HSV value)',
  },
  contrast: {
    name: 'contrast',
    parameter: 'factor applied to deviations from the image mean',
    values: [0.4, 0.3, 0.2, 0.1, 0.05],
    description: 'flat lighting: (x - mean) * c + mean',
  },
  jpeg: {
    name: 'jpeg',
    parameter: 'JPEG quality (libjpeg scale)',
    values: [25, 18, 15, 10, 7],
    description:
      'baseline JPEG round trip: 8x8 DCT, libjpeg luminance table at that quality, rounding',
  },
  downscale: {
    name: 'downscale',
    parameter: 'downscale factor before upscaling back to 48 px',
    values: [0.6, 0.5, 0.4, 0.3, 0.25],
    description: 'low-resolution camera: area-average down to round(48 c) px, bilinear back up',
  },
};

export interface CorruptOptions {
  /** Base seed; the same seed gives the same corruption. */
  seed: number;
  /** Stable id of each image (e.g. its dataset row); default 0..n-1. */
  ids?: ArrayLike<number>;
}

/**
 * Apply corruption `name` at `severity` to `images` (n * 2304 bytes, row-major 48x48) and return
 * a new array; the input is never modified.
 */
export function corrupt(
  images: Uint8Array,
  name: CorruptionName,
  severity: Severity,
  opts: CorruptOptions,
): Uint8Array {
  const spec = CORRUPTION_SPECS[name];
  if (!spec)
    throw new FerError(`unknown corruption '${String(name)}' (known: ${CORRUPTIONS.join(', ')})`);
  if (!SEVERITIES.includes(severity)) throw new FerError(`severity must be 1..5, got ${severity}`);
  if (images.length % PIXELS_PER_IMAGE !== 0)
    throw new FerError(
      `image buffer length ${images.length} is not a multiple of ${PIXELS_PER_IMAGE}`,
    );
  const n = images.length / PIXELS_PER_IMAGE;
  const c = spec.values[severity - 1];
  const out = new Uint8Array(images.length);
  const img = new Float64Array(PIXELS_PER_IMAGE);
  for (let i = 0; i < n; i++) {
    const id = opts.ids ? opts.ids[i] : i;
    const rng = new Rng(mixSeed(opts.seed, id));
    const base = i * PIXELS_PER_IMAGE;
    for (let p = 0; p < PIXELS_PER_IMAGE; p++) img[p] = images[base + p];
    APPLY[name](img, c, rng);
    for (let p = 0; p < PIXELS_PER_IMAGE; p++) out[base + p] = clampByte(img[p]);
  }
  return out;
}

/** Round and clip to 0..255. */
function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** One well-mixed 32-bit seed per (seed, id) pair. */
function mixSeed(seed: number, id: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id >>> 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2d);
  return (h ^ (h >>> 15)) >>> 0;
}

type Apply = (img: Float64Array, c: number, rng: Rng) => void;

const APPLY: Record<CorruptionName, Apply> = {
  'gaussian-noise': (img, c, rng) => {
    for (let p = 0; p < img.length; p++) img[p] += rng.normal() * c * 255;
  },
  'salt-pepper': (img, c, rng) => {
    for (let p = 0; p < img.length; p++) {
      if (rng.next() < c) img[p] = rng.next() < 0.5 ? 0 : 255;
    }
  },
  'gaussian-blur': (img, c) => gaussianBlur(img, c),
  occlusion: (img, c, rng) => {
    const side = Math.round(c * IMAGE_SIZE);
    const y0 = rng.int(IMAGE_SIZE - side + 1);
    const x0 = rng.int(IMAGE_SIZE - side + 1);
    for (let y = y0; y < y0 + side; y++)
      img.fill(0, y * IMAGE_SIZE + x0, y * IMAGE_SIZE + x0 + side);
  },
  brightness: (img, c) => {
    for (let p = 0; p < img.length; p++) img[p] += c * 255;
  },
  contrast: (img, c) => {
    let mean = 0;
    for (let p = 0; p < img.length; p++) mean += img[p];
    mean /= img.length;
    for (let p = 0; p < img.length; p++) img[p] = (img[p] - mean) * c + mean;
  },
  jpeg: (img, c) => jpegRoundTrip(img, c),
  downscale: (img, c) => downscaleUpscale(img, c),
};

/** Separable Gaussian blur with a kernel of radius ceil(3 sigma) and replicated edges. */
function gaussianBlur(img: Float64Array, sigma: number): void {
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const S = IMAGE_SIZE;
  const tmp = new Float64Array(img.length);
  const at = (v: number): number => (v < 0 ? 0 : v >= S ? S - 1 : v);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r] * img[y * S + at(x + i)];
      tmp[y * S + x] = acc;
    }
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r] * tmp[at(y + i) * S + x];
      img[y * S + x] = acc;
    }
}

/** The JPEG Annex K luminance quantisation table, in row-major (not zigzag) order. */
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** libjpeg's quality scaling (jcparam.c): quality 1..100 to a table, entries clamped to 1..255. */
export function jpegQuantTable(quality: number): Int32Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Int32Array.from(LUMA_QUANT, (v) =>
    Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))),
  );
}

const DCT_COS = (() => {
  const t = new Float64Array(64);
  for (let x = 0; x < 8; x++)
    for (let u = 0; u < 8; u++)
      t[x * 8 + u] = Math.cos(((2 * x + 1) * u * Math.PI) / 16) * (u === 0 ? Math.SQRT1_2 : 1);
  return t;
})();

/**
 * The lossy part of baseline greyscale JPEG: level shift, 8x8 DCT-II, quantise with rounding,
 * dequantise, inverse DCT. Entropy coding is lossless and so omitted; 48 = 6 x 8, so no padding.
 */
function jpegRoundTrip(img: Float64Array, quality: number): void {
  const qt = jpegQuantTable(quality);
  const S = IMAGE_SIZE;
  const block = new Float64Array(64);
  const coef = new Float64Array(64);
  for (let by = 0; by < S; by += 8)
    for (let bx = 0; bx < S; bx += 8) {
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) block[y * 8 + x] = img[(by + y) * S + bx + x] - 128;
      for (let v = 0; v < 8; v++)
        for (let u = 0; u < 8; u++) {
          let acc = 0;
          for (let y = 0; y < 8; y++)
            for (let x = 0; x < 8; x++)
              acc += block[y * 8 + x] * DCT_COS[x * 8 + u] * DCT_COS[y * 8 + v];
          const k = v * 8 + u;
          coef[k] = Math.round(acc / 4 / qt[k]) * qt[k];
        }
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          let acc = 0;
          for (let v = 0; v < 8; v++)
            for (let u = 0; u < 8; u++)
              acc += coef[v * 8 + u] * DCT_COS[x * 8 + u] * DCT_COS[y * 8 + v];
          // Decoders round and clamp each sample to 8 bits.
          img[(by + y) * S + bx + x] = Math.min(255, Math.max(0, Math.round(acc / 4 + 128)));
        }
    }
}

/** Area-average down to m x m (m = round(48 c)), then bilinear (half-pixel centres) back to 48. */
function downscaleUpscale(img: Float64Array, c: number): void {
  const S = IMAGE_SIZE;
  const m = Math.max(1, Math.round(S * c));
  const small = new Float64Array(m * m);
  // Exact area weights, since 48 / m is not always an integer.
  const f = S / m;
  for (let j = 0; j < m; j++)
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let y = Math.floor(j * f); y < Math.ceil((j + 1) * f); y++) {
        const wy = Math.min(y + 1, (j + 1) * f) - Math.max(y, j * f);
        for (let x = Math.floor(i * f); x < Math.ceil((i + 1) * f); x++) {
          const wx = Math.min(x + 1, (i + 1) * f) - Math.max(x, i * f);
          acc += wx * wy * img[y * S + x];
        }
      }
      small[j * m + i] = acc / (f * f);
    }
  for (let y = 0; y < S; y++) {
    const sy = Math.min(m - 1, Math.max(0, (y + 0.5) / f - 0.5));
    const y0 = Math.floor(sy),
      y1 = Math.min(m - 1, y0 + 1),
      ty = sy - y0;
    for (let x = 0; x < S; x++) {
      const sx = Math.min(m - 1, Math.max(0, (x + 0.5) / f - 0.5));
      const x0 = Math.floor(sx),
        x1 = Math.min(m - 1, x0 + 1),
        tx = sx - x0;
      const top = small[y0 * m + x0] * (1 - tx) + small[y0 * m + x1] * tx;
      const bot = small[y1 * m + x0] * (1 - tx) + small[y1 * m + x1] * tx;
      img[y * S + x] = top * (1 - ty) + bot * ty;
    }
  }
}
