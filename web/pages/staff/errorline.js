// Queue Kiosk — Staff page: a form's error line, kept as a sentence function so a
// language switch says it again in the new language (week.js, timeoff.js).
import { $, setText } from "/lib/ui.js";

export function errorLine(id) {
  let shown = null;
  const line = {
    show(sentence) { shown = sentence; setText($(id), sentence()); $(id).hidden = false; },
    hide() { shown = null; $(id).hidden = true; },
    redraw() { if (shown) line.show(shown); },
  };
  return line;
}
