// The decoder's .wasm, copied by Vite into the built assets and served by our own server (no CDN: the
// network at many shops is closed). Only its URL is imported here; the bytes load when a scan starts.
import zxingWasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';

/*
 * Reads a barcode from a video frame: the browser's BarcodeDetector where it exists and knows our four
 * formats (Chrome on Android and macOS), else zxing-wasm (every other browser, headless Chromium on
 * Linux, Firefox, Safari before 17). Both read EAN-13, UPC-A, Code 128 and QR — what shop goods carry and
 * what our labels print (docs/api.md "Labels"). The page's CSP allows compiling WebAssembly
 * ('wasm-unsafe-eval' in script-src, and nothing else): without it zxing-wasm cannot start.
 */

export type DecoderKind = 'native' | 'zxing';

export interface FrameDecoder {
  readonly kind: DecoderKind;
  /** The first valid code in the frame, or null. */
  decode(video: HTMLVideoElement): Promise<string | null>;
}

const NATIVE_FORMATS = ['ean_13', 'upc_a', 'code_128', 'qr_code'];
const ZXING_FORMATS = ['EAN13', 'UPCA', 'Code128', 'QRCode'] as const;

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorInstance {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorInstance;
  getSupportedFormats(): Promise<string[]>;
}

async function nativeDecoder(): Promise<FrameDecoder | null> {
  // Not in TypeScript's DOM library yet (a draft of the Shape Detection API).
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return null;
  try {
    const supported = await Detector.getSupportedFormats();
    if (!NATIVE_FORMATS.every((f) => supported.includes(f))) return null;
    const detector = new Detector({ formats: NATIVE_FORMATS });
    return {
      kind: 'native',
      decode: async (video) => (await detector.detect(video)).find((b) => b.rawValue)?.rawValue ?? null,
    };
  } catch {
    // Present but unusable (a browser that ships the name without the platform service): use zxing.
    return null;
  }
}

async function zxingDecoder(): Promise<FrameDecoder> {
  // A separate chunk: only phones that scan, and lack BarcodeDetector, download the decoder.
  const zxing = await import('zxing-wasm/reader');
  zxing.prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? zxingWasmUrl : prefix + path) },
  });
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser cannot read camera frames.');
  return {
    kind: 'zxing',
    async decode(video) {
      const { videoWidth: width, videoHeight: height } = video;
      if (!width || !height) return null;
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      context.drawImage(video, 0, 0, width, height);
      const found = await zxing.readBarcodes(context.getImageData(0, 0, width, height), {
        formats: [...ZXING_FORMATS],
        tryHarder: true,
        maxNumberOfSymbols: 1,
      });
      return found.find((r) => r.isValid && r.text)?.text ?? null;
    },
  };
}

export async function createDecoder(): Promise<FrameDecoder> {
  return (await nativeDecoder()) ?? (await zxingDecoder());
}
