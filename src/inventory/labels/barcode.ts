import bwipjs from 'bwip-js';

/*
 * The barcode printed on a label (docs/api.md "Shop floor": Code 128 or QR of the barcode or SKU), drawn
 * by bwip-js. Code 128 carries printable ASCII only: bwip-js would encode other text as its UTF-8 bytes,
 * which scanners read back as Latin-1 ("Ä" → "Ã\x84"), so such a code would scan as another string and
 * find nothing. Long codes are QR too: a Code 128 of 30+ characters is wider than a 70 mm label at a bar
 * width a phone camera still resolves. QR carries any text as UTF-8 (zxing and BarcodeDetector decode it
 * so), and needs a quarter of the width.
 */

export type Symbology = 'code128' | 'qrcode';

/** Code 128 up to this many characters; longer codes go in a QR. */
export const CODE128_MAX_LENGTH = 24;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export function symbologyFor(code: string): Symbology {
  return code.length <= CODE128_MAX_LENGTH && PRINTABLE_ASCII.test(code) ? 'code128' : 'qrcode';
}

/**
 * The code as a PNG: black on an opaque white ground with a quiet zone (a transparent ground decodes as
 * black on black in decoders that drop alpha, and bars without a quiet zone are not found at all).
 */
export function barcodePng(code: string, symbology: Symbology = symbologyFor(code)): Promise<Buffer> {
  return bwipjs.toBuffer({
    bcid: symbology,
    text: code,
    scale: 3,
    ...(symbology === 'code128' ? { height: 12 } : {}),
    includetext: false,
    backgroundcolor: 'FFFFFF',
    paddingwidth: 10,
    paddingheight: 6,
  });
}
