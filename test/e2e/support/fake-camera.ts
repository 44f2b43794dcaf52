import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import bwipjs from 'bwip-js';

/*
 * A camera for Chromium that films a barcode: Chromium's fake capture device plays a Y4M file
 * (`--use-file-for-fake-video-capture=…`), looping. The file is made here at test time from a bwip-js
 * PNG — the encoder our labels use — so the picture is a real rendered barcode, not a stub: the PNG is
 * decoded to pixels, put on a white 640 × 480 frame, and written as Y4M (a one-line header, then per
 * frame "FRAME\n" and its I420 planes: full-size luma, quarter-size chroma at 128, i.e. grey).
 */

export const FRAME = { width: 640, height: 480 } as const;

/** Luma (0 black … 255 white) of a non-interlaced 8-bit PNG: greyscale, RGB or RGBA (alpha over white). */
export function pngLuma(png: Buffer): { width: number; height: number; luma: Uint8Array } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      colourType = body[9] ?? 0;
      if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs');
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType];
  if (!channels) throw new Error(`PNG colour type ${colourType} not handled`);
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  // Undo the per-row filters (PNG spec §9): None, Sub, Up, Average, Paeth.
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  const luma = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const grey = channels >= 3 ? 0.299 * (pixels[p] ?? 0) + 0.587 * (pixels[p + 1] ?? 0) + 0.114 * (pixels[p + 2] ?? 0) : (pixels[p] ?? 0);
    const alpha = channels === 4 ? (pixels[p + 3] ?? 255) / 255 : channels === 2 ? (pixels[p + 1] ?? 255) / 255 : 1;
    luma[i] = Math.round(grey * alpha + 255 * (1 - alpha));
  }
  return { width, height, luma };
}

/** A Y4M file of `frames` identical frames showing `luma` centred on white. */
export function y4mOf(image: { width: number; height: number; luma: Uint8Array }, frames = 15): Buffer {
  const { width, height } = FRAME;
  if (image.width > width || image.height > height) throw new Error(`image ${image.width}×${image.height} exceeds the frame`);
  const y = new Uint8Array(width * height).fill(255);
  const left = Math.floor((width - image.width) / 2);
  const top = Math.floor((height - image.height) / 2);
  for (let row = 0; row < image.height; row++) {
    y.set(image.luma.subarray(row * image.width, (row + 1) * image.width), (top + row) * width + left);
  }
  const chroma = new Uint8Array((width / 2) * (height / 2) * 2).fill(128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F15:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}

/** Writes a Y4M of `code` drawn as `bcid` (bwip-js: code128, ean13, qrcode, …); returns its path. */
export async function barcodeVideo(code: string, bcid = 'code128'): Promise<string> {
  const png = await bwipjs.toBuffer({
    bcid,
    text: code,
    scale: 3,
    ...(bcid === 'qrcode' ? {} : { height: 15 }),
    includetext: false,
    backgroundcolor: 'FFFFFF',
    paddingwidth: 12,
    paddingheight: 12,
  });
  const path = join(mkdtempSync(join(tmpdir(), 'stockade-camera-')), `${bcid}.y4m`);
  writeFileSync(path, y4mOf(pngLuma(png)));
  return path;
}
