// A QR code drawn as SVG squares from the module matrix the `qrcode` library computes (no canvas, no injected markup).

import QRCode from 'qrcode';
import { useMemo } from 'react';

/** Modules of white border around the code, as the QR standard asks for reliable scanning. */
const QUIET = 4;

/** The SVG path of the dark modules of `text`'s QR code, in module units, with the quiet zone around it. */
export function qrPath(text: string): { size: number; d: string } {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  let d = '';
  for (let r = 0; r < modules.size; r++) {
    for (let c = 0; c < modules.size; c++) if (modules.get(r, c)) d += `M${c + QUIET} ${r + QUIET}h1v1h-1z`;
  }
  return { size: modules.size + 2 * QUIET, d };
}

/** A scannable QR code of `text` (an otpauth:// URI for authenticator apps). */
export function QrCode({ text, label, pixelsPerModule = 4 }: { text: string; label: string; pixelsPerModule?: number }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  return (
    <svg role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} width={size * pixelsPerModule} height={size * pixelsPerModule} shapeRendering="crispEdges" className="qr-code">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
