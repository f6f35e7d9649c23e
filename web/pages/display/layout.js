// Queue Kiosk — Display page: the TV's layout, chosen by the number of providers and the
// length of the line (issue 13), so that names are never cut short while there is room.
//
//   arrange(deskCount)   columns for the "now serving" tiles and the share of the width
//                        each side gets (<main data-desks>, --cols)
//   fitTexts()           shrinks a text that does not fit its box, step by step, down to
//                        a size still readable from 6 m; only what cannot fit even then
//                        keeps its ellipsis. Then shrinks the tiles as a whole if there
//                        are more than the screen holds.
import { $ } from '/lib/ui.js';

// The smallest size of each text, as a share of the screen's height: a waiting name
// stays 3.4% of it (37 px on 1080p, about the size a 6 m reader needs).
const MIN_VH = [
  ['#next .name', 0.034],
  ['#next .pref', 0.024],
  ['#next .wait', 0.024],
  ['.desk-name', 0.026],
  ['.serve .who', 0.03],
  ['#call .who', 0.04],
  ['#call .where', 0.04],
  ['#shop-name', 0.035],
];

export function arrange(deskCount) {
  const main = document.querySelector('main');
  const band = deskCount <= 2 ? 'few' : deskCount <= 4 ? 'some' : 'many';
  main.dataset.desks = band;
  const cols = deskCount <= 2 ? 1 : deskCount <= 6 ? 2 : 3;
  $('serving').style.setProperty('--cols', String(cols));
}

function fits(el) {
  return el.scrollWidth <= el.clientWidth;
}

function fitOne(el, minPx) {
  const text = el.textContent;
  const width = el.clientWidth;
  // Unchanged text in an unchanged box: the size found last time still holds.
  if (el.dataset.fitText === text && Number(el.dataset.fitWidth) === width && fits(el)) return;
  el.style.fontSize = '';
  let size = parseFloat(getComputedStyle(el).fontSize);
  while (!fits(el) && size > minPx) {
    size = Math.max(minPx, size * 0.9);
    el.style.fontSize = `${size}px`;
  }
  el.dataset.fitText = text;
  el.dataset.fitWidth = String(el.clientWidth);
}

// Denser tiles, one step at a time, until every tile shows in full.
const DENSITIES = ['', 'dense', 'denser'];

function fitTiles() {
  const box = $('serving');
  for (const density of DENSITIES) {
    box.dataset.density = density;
    if (box.scrollHeight <= box.clientHeight + 1) return;
  }
}

export function fitTexts() {
  if (innerWidth <= 700) return;  // a phone stacks and scrolls instead (display.css)
  fitTiles();
  const hint = document.querySelector('#sound-on .sound-hint');
  if (hint) { hint.style.display = ''; if (!fits(hint)) hint.style.display = 'none'; }
  for (const [selector, share] of MIN_VH) {
    for (const el of document.querySelectorAll(selector)) {
      if (el.getClientRects().length) fitOne(el, share * innerHeight);
    }
  }
}
