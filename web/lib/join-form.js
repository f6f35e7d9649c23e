// Queue Kiosk — the join form and the per-visit language switch, shared by the desk
// tablet (/kiosk) and the customer's own phone (/join). The form is drawn here into the
// page's #s-join section (ids j-name, j-phone, j-svc-box, j-services, j-prov-box, j-providers,
// j-prio-box, j-priority, join-error, j-submit in #join-form), so the two pages cannot drift apart.
//
//   const form = joinForm({ shop, onTicket(entry), onPending(id, name), outbox, onRefused(err), onBack, kiosk })
//     form.refreshProviders()  form.reset()  form.repaint()  form.submit(call, button, errorId, name)
//     form.follow(queueBody)   the shop's services (asked for when there is more than one, SPEC §10),
//                              who is on duty now (only they are offered, SPEC §11)
//                              and, on a paired kiosk (`kiosk: true`), whether the owner lets
//                              a customer ask for priority (`priority_at_kiosk`)
//   languageSwitch(row, { home() })  -> { reset() }   the row of language buttons; a pick lasts one visit
//   visitLanguage()          the language this customer picked (null: the shop's)
//   friendlyError(err)       the page's own sentence for an API error (never the API's English text)
//   isolate(text)            a name kept whole inside a right-to-left sentence
import { apiFetch } from './api.js';
import { $, h, setText, syncList } from './ui.js';
import { loadProviders } from './providers.js';
import { choosable, offers, servicesOf } from './services.js';
import { closedLine, onDuty } from './hours.js';
import { serverWallClock } from './clock.js';
import { LANGUAGES, direction, language, onChange, t, translate, use } from './i18n.js';

// A name or a provider in a right-to-left page is isolated (U+2068 … U+2069), so that
// "John D." keeps its full stop at its end and never pulls the sentence around it.
export const isolate = (text) => (text && direction() === 'rtl' ? `\u2068${text}\u2069` : text);

let picked = null;  // the language this customer picked, for this visit

export function visitLanguage() { return picked; }

const SVG = 'http://www.w3.org/2000/svg';

function globe() {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ class: 'globe', 'aria-hidden': 'true', viewBox: '0 0 24 24', width: 28, height: 28,
    fill: 'none', stroke: 'currentColor', 'stroke-width': 1.8 })) svg.setAttribute(k, String(v));
  const circle = document.createElementNS(SVG, 'circle');
  for (const [k, v] of Object.entries({ cx: 12, cy: 12, r: 9.5 })) circle.setAttribute(k, String(v));
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M2.5 12h19M12 2.5c2.6 2.7 3.9 5.9 3.9 9.5s-1.3 6.8-3.9 9.5c-2.6-2.7-3.9-5.9-3.9-9.5s1.3-6.8 3.9-9.5z');
  svg.append(circle, path);
  return svg;
}

/** The row of languages (a globe, then every language in its own name) drawn into `row`. */
export function languageSwitch(row, { home }) {
  const nav = h('nav', { class: 'languages', id: 'languages', dataset: { i18nAriaLabel: 'kiosk.language.choose' } });
  row.replaceChildren(globe(), nav);
  translate(row);
  const paint = () => syncList(nav, Object.entries(LANGUAGES), ([code]) => code, ([code, name]) => h('button', {
    class: 'lang', type: 'button', text: name,
    attrs: { lang: code, 'data-lang': code },
    on: { click: () => { picked = code === home() ? null : code; if (code !== language()) use(code); } },
  }), (node, [code]) => node.setAttribute('aria-pressed', String(code === language())));
  onChange(paint);
  paint();
  return {
    // The next customer starts in the shop's language.
    reset() { picked = null; if (language() !== home()) use(home()); },
  };
}

export function friendlyError(err) {
  if (!err || !err.status) return t('kiosk.error.generic');
  if (err.status === 429) return t('kiosk.error.tooMany');
  if (err.status === 401 || err.status === 403) return t('kiosk.error.off');
  if (err.status === 409 && err.code === 'closed') {
    const now = serverWallClock();
    return closedLine(err.details && err.details.opens_at, now ? now.slice(0, 10) : null);
  }
  if (err.status === 409) return t('kiosk.error.already');
  if (err.status === 422) {
    const f = err.details && err.details.field;
    if (f === 'full_name') return t('kiosk.error.name', { count: 100 });
    if (f === 'phone') return t('kiosk.error.phone');
    if (f === 'service_id') return t('kiosk.error.service');
  }
  return t('kiosk.error.generic');
}

const say = (key, props = {}) => ({ ...props, dataset: { ...(props.dataset || {}), i18n: key } });

function label(forId, key, hintKey) {
  return h('label', { class: 'qk-label', attrs: { for: forId } },
    h('span', say(key)), hintKey ? ' ' : null, hintKey ? h('span', say(hintKey, { class: 'qk-hint' })) : null);
}

function drawForm(section, onBack) {
  const input = (id, attrs) => h('input', { class: 'qk-input', id, attrs: { autocomplete: 'off', ...attrs } });
  section.replaceChildren(
    h('h2', say('kiosk.join.heading')),
    h('form', { class: 'qk-card card', id: 'join-form', attrs: { novalidate: true, autocomplete: 'off' } },
      h('div', null, label('j-name', 'kiosk.join.name'),
        input('j-name', { name: 'full_name', maxlength: 100, autocapitalize: 'words', enterkeyhint: 'next', required: true })),
      h('div', null, label('j-phone', 'kiosk.join.phone', 'kiosk.join.phoneHint'),
        input('j-phone', { name: 'phone', type: 'tel', inputmode: 'tel', maxlength: 40, enterkeyhint: 'done' })),
      h('div', { id: 'j-svc-box', hidden: true },
        h('span', { class: 'qk-label', id: 'j-svc-label' }, h('span', say('kiosk.join.service'))),
        h('div', { class: 'services', id: 'j-services', attrs: { role: 'group', 'aria-labelledby': 'j-svc-label' } })),
      h('div', { id: 'j-prov-box', hidden: true },
        h('span', { class: 'qk-label', id: 'j-prov-label' },
          h('span', say('kiosk.join.provider')), ' ', h('span', say('kiosk.join.optional', { class: 'qk-hint' }))),
        h('div', { class: 'providers', id: 'j-providers', attrs: { role: 'group', 'aria-labelledby': 'j-prov-label' } })),
      h('label', { class: 'priority-choice', id: 'j-prio-box', hidden: true, attrs: { for: 'j-priority' } },
        h('input', { type: 'checkbox', id: 'j-priority', name: 'priority' }),
        h('span', null, h('span', say('kiosk.join.priority', { class: 'prio-main' })), ' ',
          h('span', say('kiosk.join.priorityHint', { class: 'qk-hint' })))),
      h('p', { id: 'join-error', class: 'qk-error-text', attrs: { role: 'alert' } }),
      h('div', { class: 'actions' },
        onBack ? h('button', say('kiosk.back', { class: 'qk-btn qk-btn-secondary', type: 'button', on: { click: onBack } })) : null,
        h('button', say('kiosk.join.submit', { class: 'qk-btn wide', type: 'submit', id: 'j-submit' })))));
  translate(section);
}

export function joinForm({ shop, onTicket, onPending, onRefused = null, outbox = true, onBack = null, kiosk = false }) {
  drawForm($('s-join'), onBack);
  // services: the list to ask from ([] = no question); service: the customer's pick.
  // duty: id -> the provider as the last queue body says it (its `state` now, SPEC §11).
  const state = { providers: [], chosen: null, busy: false, services: [], service: null, priorityAllowed: false,
    duty: new Map() };
  const says = {};  // error line id -> how to say it, so a language switch redraws it

  function showError(id, say) {
    says[id] = say;
    setText($(id), say ? say() : '');
  }

  const chosenService = () => state.services.find((s) => s.id === state.service) || null;

  // Only who does the chosen service is offered (SPEC §10), as the server decides it,
  // and only who is on duty now (SPEC §11): not on a break, not off today.
  function offering() {
    const active = state.providers.filter((p) => p.active !== false
      && (!state.duty.size || onDuty(state.duty.get(p.id) || { state: 'off' })));
    const byId = new Map(active.map((p) => [p.id, p]));
    const service = chosenService();
    return active.filter((p) => offers(service, p.id, byId));
  }

  function renderServices() {
    $('j-svc-box').hidden = state.services.length === 0;
    syncList($('j-services'), state.services, (s) => String(s.id), (s) => h('button', {
      class: 'svc', type: 'button', on: { click: () => chooseService(s.id) },
    }), (node, s) => {
      setText(node, s.name);
      node.setAttribute('aria-pressed', String(s.id === state.service));
    });
    $('j-prio-box').hidden = !state.priorityAllowed;
    if (!state.priorityAllowed) $('j-priority').checked = false;
  }

  function chooseService(id) {
    state.service = id;
    if (state.chosen !== null && !offering().some((p) => p.id === state.chosen)) state.chosen = null;
    if (says['join-error']) showError('join-error', null);
    renderServices();
    renderProviders();
  }

  function follow(body) {
    const known = servicesOf(body);
    if (known) state.services = choosable(known);
    if (!state.services.some((s) => s.id === state.service)) state.service = null;
    state.priorityAllowed = kiosk && !!(body && body.display && body.display.priority_at_kiosk === true);
    if (body && Array.isArray(body.providers)) state.duty = new Map(body.providers.map((p) => [p.id, p]));
    // A break began: the customer's pick goes back to "anyone".
    if (state.chosen !== null && !offering().some((p) => p.id === state.chosen)) state.chosen = null;
    renderServices();
    renderProviders();
  }

  function renderProviders() {
    const list = [{ id: null, name: t('kiosk.join.anyone') }, ...offering()];
    $('j-prov-box').hidden = state.providers.length === 0;
    syncList($('j-providers'), list, (p) => String(p.id), (p) => h('button', {
      class: 'prov', type: 'button', on: { click: () => choose(p.id) },
    }), (node, p) => {
      setText(node, p.name);
      node.setAttribute('aria-pressed', String(p.id === state.chosen));
    });
  }

  function choose(id) {
    state.chosen = id;
    renderProviders();
  }

  async function refreshProviders() {
    try {
      state.providers = await loadProviders(shop);
    } catch { state.providers = []; }
    renderProviders();
    return state.providers;
  }

  async function submit(call, button, errorId, name) {
    state.busy = true;
    button.disabled = true;
    try {
      const result = await call();
      if (result && result.queued) onPending(result.id, name);
      else onTicket(result);
    } catch (err) {
      showError(errorId, () => friendlyError(err));
      if (onRefused && (err.status === 401 || err.status === 403 || err.status === 409)) onRefused(err);
    } finally {
      state.busy = false;
      button.disabled = false;
    }
  }

  $('join-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (state.busy) return;
    const name = $('j-name').value.trim().replace(/\s+/g, ' ');
    const phone = $('j-phone').value.trim();
    if (!name) { showError('join-error', () => t('kiosk.error.nameMissing')); $('j-name').focus(); return; }
    if (state.services.length && state.service === null) {
      showError('join-error', () => t('kiosk.error.serviceMissing'));
      $('j-services').scrollIntoView({ block: 'center' });
      return;
    }
    showError('join-error', null);
    const body = { full_name: name };
    if (phone) body.phone = phone;
    if (state.service !== null) body.service_id = state.service;
    if (state.chosen !== null) body.provider_id = state.chosen;
    if (state.priorityAllowed && $('j-priority').checked) body.priority = true;
    await submit(() => apiFetch('POST', `/api/v1/shops/${shop}/queue`, body, { label: 'join', meta: { name }, outbox }),
      $('j-submit'), 'join-error', name);
  });

  onChange(() => {
    renderServices();
    renderProviders();
    for (const [id, say] of Object.entries(says)) if (say) setText($(id), say());
  });

  return {
    get providers() { return state.providers; },
    refreshProviders,
    renderProviders,
    follow,
    submit,
    showError,
    reset() {
      $('join-form').reset();
      for (const id of Object.keys(says)) showError(id, null);
      state.service = null;
      renderServices();
      choose(null);
    },
  };
}
