/**
 * Reads a QR code the way a phone's camera does: from the pixels on screen. The element's screenshot is
 * turned back into RGBA by a blank page of the same browser (no CSP there, and Chromium decodes PNG), and
 * jsQR, a decoder independent of the encoder the demo uses, reads the text out of them.
 */
import jsQR from 'jsqr';
import type { BrowserContext, Locator } from 'playwright-core';

interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly rgba: number[];
}

/** The text of the QR code `element` shows, or undefined when the pixels hold none a decoder finds. */
export async function readQrCode(context: BrowserContext, element: Locator): Promise<string | undefined> {
  const png = (await element.screenshot()).toString('base64');
  const blank = await context.newPage();
  try {
    // A string, not a function: the project's tsconfig has no DOM types (test/browser/page-globals.ts).
    const pixels = (await blank.evaluate(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${png}';
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return { width: canvas.width, height: canvas.height, rgba: Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data) };
    })()`)) as Pixels;
    return jsQR(Uint8ClampedArray.from(pixels.rgba), pixels.width, pixels.height)?.data;
  } finally {
    await blank.close();
  }
}
