"""The languages every screen ships in (SPEC §14), and reading one from a PC's locale."""

from __future__ import annotations

LANGUAGES = ("en", "es", "fr", "de", "pt", "ar", "zh")
DEFAULT = "en"


def from_locale(name: str | None) -> str:
    """'es_ES.UTF-8' -> 'es', 'pt_BR' -> 'pt', 'zh-Hans-CN' -> 'zh'; anything else -> en."""
    code = (name or "").strip().split(".", 1)[0].replace("-", "_").split("_", 1)[0].lower()
    return code if code in LANGUAGES else DEFAULT
