// The TV's code for customers' own phones (SPEC §9: the QR on /display leads to /join).
// The address comes from the appliance, because the TV itself may have opened the page
// as 127.0.0.1 on the back-room PC, which no phone can reach.
import { apiFetch, param } from '/lib/api.js';
import { qrSvg } from '/lib/qr.js';
import { $, setText } from '/lib/ui.js';
import { t } from '/lib/i18n.js';
import { joinsClosed } from '/lib/hours.js';

let joinUrl = null;
let selfCheckIn = true;

export async function loadJoinCode(shop) {
  const suffix = shop === 1 ? '' : `?shop=${shop}`;
  try {
    const appliance = await apiFetch('GET', `/api/v1/appliance${suffix}`);
    joinUrl = appliance.urls && appliance.urls.join;
  } catch {
    joinUrl = `${location.origin}/join${suffix}`;
  }
  paintJoinCode();
}

/** With each queue body: the code is offered only while phones may join: self check-in
 * on (§9) and the door open, not closed or past the last-join time (§11). */
export function followSelfCheckIn(q) {
  const allowed = !(q.display && q.display.self_checkin === false) && !joinsClosed(q);
  if (allowed !== selfCheckIn) { selfCheckIn = allowed; paintJoinCode(); }
}

export function paintJoinCode() {
  const box = $('join-code');
  const shown = Boolean(joinUrl) && selfCheckIn && param('qr', 'on') !== 'off';
  box.hidden = !shown;
  if (!shown) return;
  const label = t('display.joinCode');
  setText($('join-code-label'), label);
  const current = box.querySelector('svg');
  if (current && current.dataset.qrText === joinUrl && current.getAttribute('aria-label') === label) return;
  box.querySelector('.qr-code').replaceChildren(qrSvg(joinUrl, { size: 120, label }));
}
