"""The message catalogs (SPEC §14), read as files: no server, no browser.

- Every catalog under web/i18n/ has exactly the keys of en.json; plural messages have
  the forms their language needs; placeholders match English.
- Every key a page names (a `data-i18n*` attribute, a literal `t('...')` call, a key
  written as a string in a page's script) exists in en.json.
- No English is written into the pages: HTML text and text attributes, and string
  literals a script puts on screen (setText, textContent, toast, h(..., {text}), titles,
  placeholders, ARIA labels, alert/confirm) fail this test. PENDING may name a page
  still being moved to the catalogs; it is empty: every page is.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parent.parent / "web"
I18N = WEB / "i18n"

# Pages whose texts are still being moved into the catalogs (emptied at merge).
PENDING: set[str] = set()  # every page takes its words from the catalogs

LANGUAGES = ("en", "es", "fr", "de", "pt", "ar", "zh")
FORMS = {"zero", "one", "two", "few", "many", "other"}
# The cardinal plural forms each language's messages need (CLDR, what Intl.PluralRules
# answers for whole numbers; "many" of es/fr/pt is for millions and falls back to other).
NEEDED = {
    "en": {"one", "other"},
    "es": {"one", "other"},
    "fr": {"one", "other"},
    "de": {"one", "other"},
    "pt": {"one", "other"},
    "ar": FORMS,
    "zh": {"other"},
}
# Messages chosen by ordinal rules (i18n.js ordinal()), not by cardinal ones.
ORDINAL_KEYS = {"common.ordinal"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Text that is the same in every language: the product's name.
SAME_EVERYWHERE = {"Queue Kiosk"}


def catalog(lang: str) -> dict:
    return json.loads((I18N / f"{lang}.json").read_text(encoding="utf-8"))


def pending(path: Path) -> bool:
    rel = path.relative_to(WEB).as_posix()
    return any(rel == p or rel.startswith(p + "/") for p in PENDING)


def placeholders(message) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


# ---------------------------------------------------------------- the catalogs


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_a_flat_sorted_object_of_texts(lang):
    path = I18N / f"{lang}.json"
    text = path.read_text(encoding="utf-8")
    messages = json.loads(text)
    assert isinstance(messages, dict) and messages
    # One way of writing it, so the lead's merge of three branches is a plain union.
    written = json.dumps(messages, ensure_ascii=False, indent=1, sort_keys=True)
    assert text.rstrip("\n") == written, f"rewrite {lang}.json with sorted keys, indent=1"
    for key, message in messages.items():
        assert re.fullmatch(r"[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+", key), key
        if isinstance(message, dict):
            assert message and set(message) <= FORMS, (key, sorted(message))
            assert all(isinstance(v, str) and v for v in message.values()), key
        else:
            assert isinstance(message, str), key


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalog_has_exactly_the_keys_of_english(lang):
    english, other = catalog("en"), catalog(lang)
    assert sorted(set(english) - set(other)) == [], f"{lang}.json lacks these keys"
    assert sorted(set(other) - set(english)) == [], f"{lang}.json has keys English lacks"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_messages_have_the_forms_their_language_needs(lang):
    for key, message in catalog(lang).items():
        if not isinstance(message, dict):
            continue
        assert "other" in message, (lang, key)
        if key in ORDINAL_KEYS:
            continue
        missing = NEEDED[lang] - set(message)
        assert not missing, f"{lang} {key}: no {sorted(missing)} form"
        if lang == "zh":
            assert set(message) == {"other"}, f"zh {key}: Chinese has one form"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_placeholders_match_english(lang):
    english = catalog("en")
    for key, message in catalog(lang).items():
        want, got = placeholders(english[key]), placeholders(message)
        # A plural form may say the number in words ("every second"): {count} is then
        # required in the `other` form only.
        if isinstance(message, dict) and "count" in want:
            assert "count" in placeholders(message["other"]), (lang, key)
            got = got | {"count"}
        assert got == want, f"{lang} {key}: placeholders {sorted(got)}, English {sorted(want)}"
        assert isinstance(message, dict) == isinstance(english[key], dict), (lang, key)


def test_every_language_has_a_catalog_and_the_glossary_exists():
    on_disk = {p.stem for p in I18N.glob("*.json")}
    assert on_disk == set(LANGUAGES)
    glossary = (I18N / "GLOSSARY.md").read_text(encoding="utf-8")
    for word in ("ticket", "queue", "check in", "no-show", "PIN", "pairing", "provider"):
        assert word in glossary


# ---------------------------------------------------------------- keys the pages use


def web_files(*suffixes: str):
    for path in sorted(WEB.rglob("*")):
        if path.suffix in suffixes and "vendor" not in path.parts:
            yield path


KEY_ATTR = re.compile(r'data-i18n(?:-[a-z-]+)?="([^"]+)"')
T_CALL = re.compile(r"""(?<![\w.$])t\(\s*(["'])([a-z][\w.]*)\1""")
KEY_LITERAL = re.compile(r"""(["'])([a-z]+(?:\.[A-Za-z0-9_]+)+)\1""")
KEY_PREFIX = re.compile(r"`((?:common|index|login|admin)(?:\.[A-Za-z0-9_]+)*\.)\$\{")
FILE_NAME = re.compile(r"\.(js|css|html|json|png|svg|wav|txt)$")


def page_of(path: Path) -> str:
    """The key prefix of a file's page: web/admin.html and web/pages/admin/* are `admin`."""
    rel = path.relative_to(WEB)
    if rel.parts[0] == "pages":
        return rel.parts[1]
    return path.stem if path.suffix == ".html" else "common"


def test_every_key_a_page_names_is_in_the_english_catalog():
    english = catalog("en")
    missing = []
    for path in web_files(".html", ".js"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(WEB).as_posix()
        keys = set(KEY_ATTR.findall(text)) | {m[1] for m in T_CALL.findall(text)}
        if not pending(path):
            # A string shaped like a key of the page's own prefix (or common.*) is a key.
            own = {"common", page_of(path)}
            keys |= {
                m[1]
                for m in KEY_LITERAL.findall(text)
                if m[1].split(".")[0] in own and not FILE_NAME.search(m[1])
            }
            for prefix in KEY_PREFIX.findall(text):
                if not any(k.startswith(prefix) for k in english):
                    missing.append(f"{rel}: {prefix}*")
        missing += [f"{rel}: {key}" for key in sorted(keys) if key not in english]
    assert missing == []


# ---------------------------------------------------------------- no English in pages

TEXT_ATTRS = ("placeholder", "title", "aria-label", "alt", "label")


def english(text: str) -> bool:
    """Words a person reads: two letters in a row, once the product's name, paths and
    placeholders are taken out."""
    for same in SAME_EVERYWHERE:
        text = text.replace(same, " ")
    text = re.sub(r"\$\{[^}]*\}|\{\w+\}", " ", text)
    text = re.sub(r"(?:https?://|/)[\w./?=&%:-]*", " ", text)
    return bool(re.search(r"[A-Za-z]{2,}", text))


class TextNodes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in TEXT_ATTRS and value and english(value):
                self.found.append(f'<{tag} {name}="{value}">')
        if tag not in ("meta", "link", "input", "br", "img", "hr", "source"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("script", "style", "code"):
            return
        if english(data):
            self.found.append(data.strip()[:80])


def test_html_pages_carry_no_english_text():
    found = {}
    for path in web_files(".html"):
        if pending(path):
            continue
        parser = TextNodes()
        parser.feed(path.read_text(encoding="utf-8"))
        if parser.found:
            found[path.relative_to(WEB).as_posix()] = parser.found
    assert found == {}


# A script puts a literal on screen through one of these; the argument is checked.
SINKS = [
    (re.compile(r"\bsetText\("), 1),
    (re.compile(r"\.(?:textContent|innerText|title|placeholder|ariaLabel)\s*=(?!=)\s*"), 0),
    (re.compile(r"\b(?:toast|alert|confirm|prompt)\(\s*"), 0),
    (re.compile(r"""(?<![\w-])(?:text|title|placeholder|["']aria-label["']|alt)\s*:\s*"""), 0),
    (re.compile(r"""setAttribute\(\s*["'](?:aria-label|title|placeholder|alt)["']\s*,\s*"""), 0),
]
LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1)[^\\])*)\1""", re.S)
# Calls whose string arguments are keys, formats or selectors, not text.
KEY_CALLS = re.compile(
    r"(?:\bt|\bhas|\bordinal|\bformat\w*|querySelector\w*|\$|closest|matches|\w*Attribute)\($"
)
# A literal compared with (=== "session") or an option's value ({ month: "short" }).
NOT_SHOWN_BEFORE = re.compile(r"(?:[=!]==?|\w\s*:)$")
NOT_SHOWN_AFTER = re.compile(r"^\s*[=!]==?")


def argument(text: str, start: int, skip: int) -> str:
    """The source of the argument at `start` (after `skip` top-level commas)."""
    depth, i, quote, begin = 0, start, None, start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif c == "," and depth == 0:
            if skip == 0:
                break
            skip -= 1
            begin = i + 1
        elif c in ";\n" and depth == 0:
            break
        i += 1
    return text[begin:i]


def shown_literals(expr: str) -> list[str]:
    """String literals in an expression that are not a key passed to t() and friends."""
    out = []
    for m in LITERAL.finditer(expr):
        before = expr[: m.start()].rstrip()
        if KEY_CALLS.search(before) or NOT_SHOWN_BEFORE.search(before):
            continue
        if NOT_SHOWN_AFTER.search(expr[m.end() :]):
            continue
        value = m.group(2)
        if re.fullmatch(r"[a-z][\w-]*(\.[\w-]+)+", value):  # a catalog key
            continue
        if english(value):
            out.append(value)
    return out


def test_scripts_put_no_english_on_screen():
    scripts = [*web_files(".js")]
    assert any(p.parent.name == "admin" for p in scripts)
    found = {}
    for path in scripts:
        rel = path.relative_to(WEB).as_posix()
        if pending(path) or not (rel.startswith("pages/") or rel.startswith("lib/")):
            continue
        text = path.read_text(encoding="utf-8")
        # Comments are not on screen.
        code = re.sub(r"^\s*(//|\*|/\*).*$", "", text, flags=re.M)
        hits = []
        for sink, skip in SINKS:
            for m in sink.finditer(code):
                hits += shown_literals(argument(code, m.end(), skip))
        if hits:
            found[rel] = hits
    assert found == {}


def test_the_scan_finds_english_where_there_is_some():
    """The scanners themselves: English in each kind of place is caught."""
    parser = TextNodes()
    parser.feed('<p>Hello there</p><input placeholder="Your name"><code>/api/v1</code>')
    assert parser.found == ["Hello there", '<input placeholder="Your name">']
    samples = {
        'setText($("x"), "Saved.")': ["Saved."],
        'setText($("x"), t("admin.save"))': [],
        'toast(`Added ${p.name}`, "success")': ["Added ${p.name}"],
        'h("span", { text: "owner" })': ["owner"],
        'h("span", { text: t("admin.staff.owner") })': [],
        'el.textContent = ok ? "Yes" : "No";': ["Yes", "No"],
        "el.title = `${a} · ${b}`;": [],
        'setText(x, k === "session" ? t("a.b") : fmt(d, { month: "short" }))': [],
        'setText(x, "Sign in" === y ? "Signed in" : "")': ["Signed in"],
    }
    for source, want in samples.items():
        got = []
        for sink, skip in SINKS:
            for m in sink.finditer(source):
                got += shown_literals(argument(source, m.end(), skip))
        assert got == want, source
