// Queue Kiosk — /t/{claim}/print: the customer's ticket on 58 or 80 mm paper (SPEC §12), for a
// tablet with its own printer. Same facts as the appliance's paper ticket: shop, the code in
// large type, service or provider, date and time (shop time), people ahead, wait, the QR code
// of /t/{claim}, and the owner's header and footer. Opens the print dialog once drawn;
// ?auto=0 leaves that to the Print button, ?width=58|80 picks the paper.
import { apiFetch } from '/lib/api.js';
import { $, setText } from '/lib/ui.js';
import { qrSvg } from '/lib/qr.js';
import { formatDate, formatTime, startForShop, t } from '/lib/i18n.js';

const parts = location.pathname.split('/').filter(Boolean);  // ["t", claim, "print"]
const claim = decodeURIComponent(parts[1] || '');
const query = new URLSearchParams(location.search);

function paper(width) {
  const w = width === 58 ? 58 : 80;
  $('paper').className = `paper w${w}`;
  $('width').value = String(w);
  $('paper').dataset.width = String(w);
}

async function nameOf(path) {
  try { return (await apiFetch('GET', path)) || []; } catch { return []; }
}

async function draw() {
  let ticket;
  try {
    ticket = await apiFetch('GET', `/api/v1/tickets/${encodeURIComponent(claim)}`);
  } catch {
    await startForShop(1);
    $('missing').hidden = false;
    return;
  }
  await startForShop(ticket.shop_id);
  const sheet = await apiFetch('GET', '/api/v1/printer/paper').catch(() => ({}));
  const asked = Number(query.get('width'));
  paper(asked === 58 || asked === 80 ? asked : sheet.width_mm);
  setText($('header'), sheet.header || '');
  setText($('footer'), sheet.footer || '');
  setText($('shop'), ticket.shop_name || '');
  setText($('code'), ticket.ticket);
  setText($('what'), ticket.service_name || ticket.provider_name || '');
  setText($('when'), `${formatDate(ticket.checked_in_at, { day: 'numeric', month: 'short', year: 'numeric' })} ${formatTime(ticket.checked_in_at)}`);
  const waiting = ticket.status === 'CHECKED_IN' && ticket.position_in_queue;
  setText($('ahead'), waiting ? t('print.ahead', { n: ticket.position_in_queue - 1 }) : '');
  const minutes = ticket.estimated_wait_minutes;
  setText($('wait'), waiting && minutes !== null && minutes !== undefined ? t('print.wait', { minutes }) : '');
  const link = `${location.origin}/t/${encodeURIComponent(claim)}`;
  $('qr').replaceChildren(qrSvg(link, { size: 160, label: t('print.scan') }));
  $('qr').dataset.qrText = link;
  $('paper').hidden = false;
  document.documentElement.dataset.ready = 'yes';
  if (query.get('auto') !== '0') window.print();
}

$('print').addEventListener('click', () => window.print());
$('width').addEventListener('change', (ev) => paper(Number(ev.target.value)));
draw();
