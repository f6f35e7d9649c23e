// Queue Kiosk — Admin page: the voices this browser offers for the shop's language, and a
// sample of the call-out (SPEC §14). The TV's own browser is what speaks in the shop: the
// owner checks it on the TV itself at /display?voices=1 (no PIN is needed there).
import { $, h, setText } from "/lib/ui.js";
import { has, LANGUAGES, locale, t } from "/lib/i18n.js";
import { redrawOnChange, SHOP } from "./common.js";

const V = { lang: null, speaking: false };
window.__voices = V;

// The call-out's template is the display's (`display.callout.spoken`: "Ticket {ticket},
// {provider}") when the catalog has it, else this page's own sample sentence. The sample
// names no customer: a name is the shop's business, and a masked one is never spoken.
const SAMPLE_KEYS = ["display.callout.spoken", "admin.voices.sample"];

function synth() { return "speechSynthesis" in window ? window.speechSynthesis : null; }

/** The voices for a language: those of its exact locale (pt-BR, zh-CN) first, local ones first. */
export function voicesFor(lang) {
  const s = synth();
  if (!s) return [];
  const want = locale(lang).toLowerCase();
  const exact = want.replace(/-hans/, "");  // zh-Hans-CN → zh-cn, as voices name it
  return s.getVoices()
    .filter((v) => String(v.lang || "").toLowerCase().replace("_", "-").split("-")[0] === lang)
    .map((v) => ({ v, score: (String(v.lang).toLowerCase().replace("_", "-") === exact ? 2 : 0) + (v.localService ? 1 : 0) }))
    .sort((a, b) => b.score - a.score || a.v.name.localeCompare(b.v.name))
    .map(({ v }) => v);
}

function sampleText() {
  const key = SAMPLE_KEYS.find((k) => has(k));
  return t(key, { ticket: "A 12", provider: t("admin.voices.sampleProvider") });
}

function draw() {
  const lang = V.lang;
  if (!lang) return;
  const name = LANGUAGES[lang] || lang;
  const s = synth();
  const voices = voicesFor(lang);
  setText($("voices-lead"), t("admin.voices.lead", { language: name }));
  $("voices-list").replaceChildren(...voices.map((v, i) => h("li", { class: "item voice", dataset: { lang: v.lang, local: v.localService ? "1" : "0" } },
    h("span", { class: "name", text: v.name, attrs: { dir: "auto" } }),
    h("span", { class: "meta" },
      h("span", { class: "chip", text: v.lang }),
      h("span", { text: t(v.localService ? "admin.voices.local" : "admin.voices.online") }),
      i === 0 ? h("b", { text: t("admin.voices.preferred") }) : null))));
  const none = $("voices-none");
  none.hidden = voices.length > 0;
  setText(none, t(s ? "admin.voices.none" : "admin.voices.noSpeech", { language: name }));
  $("voices-play").disabled = !s || !voices.length || V.speaking;
  $("voices-tv").href = SHOP === 1 ? "/display?voices=1" : `/display?shop=${SHOP}&voices=1`;
}

export function showVoices(lang) {
  V.lang = lang;
  draw();
}

$("voices-play").addEventListener("click", () => {
  const s = synth();
  const voice = voicesFor(V.lang)[0];
  if (!s || !voice) return;   // never a sample in another language's voice
  const u = new SpeechSynthesisUtterance(sampleText());
  u.voice = voice;
  u.lang = voice.lang;
  u.onend = u.onerror = () => { V.speaking = false; draw(); };
  V.speaking = true;
  setText($("voices-note"), t("admin.voices.playing", { voice: voice.name }));
  s.cancel();
  s.speak(u);
  draw();
});

if (synth()) synth().addEventListener("voiceschanged", draw);
redrawOnChange(draw);
