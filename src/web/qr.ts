/** QR codes as inline SVG, generated in the browser by the bundled `qrcode` package. */
import { toString as qrToString } from 'qrcode';

export async function renderQr(box: HTMLElement, text: string): Promise<void> {
  try {
    const svg = await qrToString(text, { type: 'svg', margin: 2, errorCorrectionLevel: 'M', color: { dark: '#000000ff', light: '#ffffffff' } });
    // The markup comes from the QR encoder (paths only), not from user input.
    box.innerHTML = svg;
    box.querySelector('svg')?.setAttribute('aria-hidden', 'true');
  } catch {
    box.hidden = true;
  }
}
