// Queue Kiosk — QR code as an inline SVG element (built with DOM calls, no HTML strings).
//   import { qrSvg } from '/lib/qr.js';
//   box.appendChild(qrSvg('http://192.168.1.20:8000/t/abc…', { size: 220, label: 'Your ticket' }));
// Uses the vendored qrcode-generator (web/vendor/qrcode, MIT).
import qrcode from '../vendor/qrcode/qrcode.mjs';

const NS = 'http://www.w3.org/2000/svg';

export function qrSvg(text, { size = 200, margin = 2, level = 'M', label = 'QR code' } = {}) {
  const qr = qrcode(0, level);
  qr.addData(String(text), 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const total = n + margin * 2;
  let d = '';
  for (let r = 0; r < n; r += 1) {
    for (let c = 0; c < n; c += 1) {
      if (qr.isDark(r, c)) d += `M${c + margin} ${r + margin}h1v1h-1z`;
    }
  }
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${total} ${total}`);
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.dataset.qrText = String(text);
  const bg = document.createElementNS(NS, 'rect');
  bg.setAttribute('width', String(total));
  bg.setAttribute('height', String(total));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
