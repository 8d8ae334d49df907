/**
 * A minimal PNG encoder (8-bit greyscale or RGB, zlib via node) and image grids of 48x48 faces,
 * so that sample faces and noise examples need no image library.
 */
import { deflateSync } from 'node:zlib';
import { FerError } from '../util/errors';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as in the PNG spec (ISO 3309; the same as zlib's crc32). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  // The CRC covers the chunk type and data, not the length.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encode `pixels` (row-major, `channels` bytes per pixel: 1 = grey, 3 = RGB) as a PNG.
 * Each row gets filter type 0 (none); zlib does the rest.
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 = 1,
): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new FerError(`encodePng: bad size ${width}x${height}`);
  if (pixels.length !== width * height * channels)
    throw new FerError(`encodePng: ${pixels.length} bytes for ${width}x${height}x${channels}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: greyscale or truecolour
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    Buffer.from(pixels.buffer, pixels.byteOffset + y * stride, stride).copy(
      raw,
      y * (stride + 1) + 1,
    );
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A grid of equally sized greyscale tiles with `gap` pixels of `background` between them. */
export function tileGrid(
  tiles: (Uint8Array | null)[][],
  tileW: number,
  tileH: number,
  opts: { gap?: number; background?: number; scale?: number } = {},
): { pixels: Uint8Array; width: number; height: number } {
  const gap = opts.gap ?? 2;
  const s = opts.scale ?? 1;
  const rows = tiles.length;
  const cols = Math.max(0, ...tiles.map((r) => r.length));
  const width = cols * tileW * s + (cols + 1) * gap;
  const height = rows * tileH * s + (rows + 1) * gap;
  const pixels = new Uint8Array(width * height).fill(opts.background ?? 255);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < tiles[r].length; c++) {
      const t = tiles[r][c];
      if (!t) continue;
      if (t.length !== tileW * tileH)
        throw new FerError(`tileGrid: tile ${r},${c} has ${t.length} pixels`);
      const x0 = gap + c * (tileW * s + gap);
      const y0 = gap + r * (tileH * s + gap);
      for (let y = 0; y < tileH * s; y++)
        for (let x = 0; x < tileW * s; x++)
          pixels[(y0 + y) * width + x0 + x] = t[Math.floor(y / s) * tileW + Math.floor(x / s)];
    }
  return { pixels, width, height };
}

/** Floats in [0, 1] (e.g. a noisy image tensor's data) to grey bytes. */
export function floatsToGrey(x: Float32Array | number[]): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, x[i])) * 255);
  return out;
}

/** A PNG as a data: URI (for Plotly image traces and self-contained HTML). */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
