import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

/*
 * The decoder the web app scans with (zxing-wasm), run in Node: the labels' round-trip test decodes the
 * very PNGs a label sheet carries. The .wasm is read from the installed package (no network), the way
 * the web app is served it by our own server.
 */

const wasmPath = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
let prepared = false;

/** Every code found in an image file (PNG, JPEG, …), as `{format, text}`. */
export async function decodeImage(image: Uint8Array): Promise<{ format: string; text: string }[]> {
  if (!prepared) {
    const bytes = readFileSync(wasmPath);
    prepareZXingModule({ overrides: { wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) } });
    prepared = true;
  }
  const found = await readBarcodes(image, { tryHarder: true, formats: [] });
  return found.filter((r) => r.isValid).map((r) => ({ format: r.format, text: r.text }));
}
