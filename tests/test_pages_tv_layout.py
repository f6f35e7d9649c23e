"""The waiting-room TV lays itself out for the shop's providers and the length of its line
(issue 13): at 1080p and 720p, with one to four providers and long-ish names, no text on
screen is cut short ("Kather…", "for Sam (Chai") while there is room for it."""

from __future__ import annotations

import pytest

from tests.browser import SCREENSHOTS
from tests.test_pages_kiosk_display import join, new_shop, set_status, wait_seq

pytest_plugins = ("tests.browser",)

pytestmark = pytest.mark.timeout(300)

PROVIDERS = ("Sam Okafor (Chair 2)", "Dr. Anna Berg-Schneider", "Maria Lopez", "Jonas Whitfield")
CUSTOMERS = (
    "Katherine Johnson",
    "Maximilian Oberhuber",
    "Alexandra Papadopoulou",
    "Bartholomew Fitzgerald",
    "Guadalupe Hernandez",
    "Christopher Nakamura",
    "Anastasia Vasquez",
    "Wilhelmina Okonkwo",
)

# Every visible element whose own text is clipped: wider content than its box while its
# box hides overflow (an ellipsis or a cut), or text running off the screen's edge.
CUT = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
    const r = el.getBoundingClientRect();
    if ((clips && el.scrollWidth > el.clientWidth) || r.right > innerWidth + 1 || r.left < -1) {
      const what = `${el.id || el.className}: ${el.textContent.trim()}`;
      cut.push(`${what} (${el.scrollWidth}>${el.clientWidth})`);
    }
  }
  return cut;
}"""


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_nothing_on_the_tv_is_cut_short(pages, server, count, size):
    shop, providers = new_shop(server, PROVIDERS[:count])
    entries = [
        join(server, shop, name, providers[i % count]["id"] if i % 3 else None)
        for i, name in enumerate(CUSTOMERS)
    ]
    # One provider serves, one has just called: tiles busy and idle side by side.
    set_status(server, entries[0]["id"], "IN_SERVICE")
    seq = set_status(server, entries[1]["id"], "CALLED")
    width, height = size
    context = pages.browser.new_context(viewport={"width": width, "height": height})
    pages.contexts.append(context)
    tv = pages.open(f"/display?shop={shop}", context=context)
    wait_seq(tv, seq)
    tv.wait_for_function("() => document.querySelectorAll('#next li').length >= 3")
    cut = tv.evaluate(CUT)
    tv.screenshot(path=str(SCREENSHOTS / f"tv-layout-{count}-providers-{width}x{height}.png"))
    assert cut == [], cut
    # Readable from 6 m: a waiting name is at least 3.3% of the screen's height.
    smallest = tv.evaluate(
        "() => Math.min(...[...document.querySelectorAll('#next .name')]"
        ".map((e) => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 0.033 * height, smallest
    assert pages.problems(tv) == {}
