"""Language rules that ship with the package, as spaCy ships ``spacy/lang/en``.

Each language has a folder of YAML files (``pipeline/rules/en/``), one per concern. Their
keys are config keys (``privacy.titles``), so the config models take them as defaults and a
consultation's ``config.yaml`` names only what it changes: any key given there replaces the
rule's value.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


@functools.cache
def language_rules(language: str = DEFAULT_LANGUAGE) -> dict[str, dict[str, Any]]:
    """Every rule of ``language``, by config section then key (``{"privacy": {"titles": [...]}}``)."""
    folder = RULES_DIR / language
    if not folder.is_dir():
        raise KeyError(f"no rules for language {language!r}; shipped: {', '.join(shipped_languages())}")
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")):
        for section, values in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            overlap = merged.setdefault(section, {}).keys() & values.keys()
            if overlap:
                raise ValueError(f"{path.name}: {section}.{sorted(overlap)[0]} is also set in another rules file of {language!r}")
            merged[section].update(values)
    return merged


def shipped_languages() -> list[str]:
    return sorted(p.name for p in RULES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_"))


def rule(section: str, key: str, language: str = DEFAULT_LANGUAGE) -> Any:
    """One rule's value (a fresh copy: config models must not share mutable defaults)."""
    value = language_rules(language)[section][key]
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def default(section: str, key: str):
    """A pydantic ``default_factory`` reading the English rule ``section.key``."""
    return lambda: rule(section, key)
