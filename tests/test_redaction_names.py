"""Names in scripts written without spaces (SPEC §14, §8): "李小龙" -> "李**".

A single-word name of two or more characters in Chinese, Japanese, Korean or Thai keeps
its first character; a one-word Latin name stays as it is; names with spaces keep the
"first word + initial of the last" rule. The server's redaction (what a TV, a kiosk and
a customer's phone are sent) goes through `display_name`, tested here directly and
through `redaction.render`.
"""

from __future__ import annotations

import pytest

from kiosk.domain import redaction
from kiosk.domain.tickets import display_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("李小龙", "李**"),  # Chinese
        ("王芳", "王*"),
        ("山田太郎", "山***"),  # Japanese kanji
        ("さくら", "さ**"),  # Hiragana
        ("カタリーナ", "カ****"),  # Katakana with the prolonged-sound mark
        ("김민준", "김**"),  # Korean
        ("สมชาย", "ส****"),  # Thai
        ("นิด", "นิ*"),  # a Thai vowel sign stays with its first letter
        ("  李小龙  ", "李**"),
    ],
)
def test_one_word_in_a_script_without_spaces_keeps_its_first_character(name, shown):
    assert display_name(name) == shown


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("李", "李"),  # one character: nothing to mask
        ("Madonna", "Madonna"),  # one Latin word stays as it is
        ("Zoë", "Zoë"),
        ("Иван", "Иван"),  # Cyrillic is written with spaces
        ("محمد", "محمد"),  # so is Arabic
        ("李Bob", "李Bob"),  # a mixed word is not a name in one script without spaces
        ("李**", "李**"),  # already masked: unchanged (redacting twice is harmless)
        ("", ""),
    ],
)
def test_other_one_word_names_stay_as_they_are(name, shown):
    assert display_name(name) == shown


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("John Michael Doe", "John D."),
        ("Johnathan Doe", "Johnathan D."),
        ("山田 太郎", "山田 太."),  # written with a space: the usual rule
        ("김 민준", "김 민."),
    ],
)
def test_names_with_spaces_keep_the_first_word_and_the_last_initial(name, shown):
    assert display_name(name) == shown


def test_render_masks_a_queue_entry_and_a_customer_record_for_displays():
    body = {
        "queue_items": [{"full_name": "李小龙", "phone": "138 0000 0000", "ticket": "A001"}],
        "appointments": [{"customer": {"name": "김민준", "phone": "010"}}],
    }
    shown = redaction.render(body, redaction.REDACTED)
    assert shown["queue_items"][0]["full_name"] == "李**"
    assert shown["queue_items"][0]["phone"] is None
    assert shown["appointments"][0]["customer"]["name"] == "김**"
    assert redaction.render(body, redaction.FULL)["queue_items"][0]["full_name"] == "李小龙"
    relayed = redaction.render_relayed({"cliente": "สมชาย"}, redaction.REDACTED)
    assert relayed == {"cliente": "ส****"}
