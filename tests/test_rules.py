"""Language rules ship with the package; a consultation's config names only what differs."""

import ast
import re
from pathlib import Path

import pytest

from pipeline.config import parse_config
from pipeline.errors import ConfigError
from pipeline.rules import language_rules, rule, shipped_languages

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {"questions": [{"id": "q1", "text": "What do you think of the proposal?"}]}
# Words of the first consultation: fine in its config, a defect in the package.
CONSULTATION_WORDS = re.compile(r"children in care|practice leader|practice supervisor|corporate parent|who cares|looked after child", re.IGNORECASE)


def test_every_rule_is_a_config_key_and_valid():
    config = parse_config(MINIMAL)
    for section, keys in language_rules("en").items():
        if section == "language":  # facts about the language, not config keys (tests/test_languages.py)
            continue
        model = config
        for part in section.split("."):
            model = getattr(model, part)
        for key, value in keys.items():
            assert hasattr(model, key), f"{section}.{key} is not a config key"
            default = getattr(model, key)
            plain = [b.model_dump() for b in default] if key == "wording_bands" else default
            assert plain == value, f"{section}.{key}: the config default is not the rule"


def test_a_minimal_config_has_every_rule():
    config = parse_config(MINIMAL)
    assert config.segment.signoff_patterns and config.tag.stance.support and config.privacy.titles
    assert config.letter.greeting_patterns == rule("letter", "greeting_patterns")


def test_a_list_or_mapping_can_extend_the_rules():
    config = parse_config(MINIMAL | {
        "letter": {"organisation_words": {"extend": ["nspcc"]}},
        "tag": {"evidence": {"extend": {"law": ["Working Together"], "inspection": ["Ofsted"]}}},
    })
    assert config.letter.organisation_words == [*rule("letter", "organisation_words"), "nspcc"]
    assert config.tag.evidence["law"] == [*rule("tag", "evidence")["law"], "Working Together"]
    assert config.tag.evidence["inspection"] == ["Ofsted"]


def test_a_config_key_replaces_a_rule():
    config = parse_config(MINIMAL | {"segment": {"non_comments": ["nothing"]}})
    assert config.segment.non_comments == ["nothing"]


@pytest.mark.parametrize(
    "data, expected",
    [
        (MINIMAL | {"statements": [{"id": "plan", "title": "The plan", "file": "plan.txt", "question": "q9"}]},
         "config: statements.0.question: 'q9' is not a question id; allowed: q1"),
        (MINIMAL | {"letter": {"organisation_words": {"extend": "nspcc"}}},
         "letter.organisation_words.extend: extends a list with a list, or a mapping with a mapping; got 'nspcc'"),
        (MINIMAL | {"align": {"quote_min_score": "x" * 500}},
         "config: align.quote_min_score: Input should be a valid number, unable to parse string as a number; got 'xxxx"),
    ],
)
def test_config_errors_fit_on_one_line(data, expected):
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    message = str(error.value)
    assert message.startswith(expected) and "\n" not in message and len(message) < 300


def _code_strings(path: Path) -> list[str]:
    """The string constants of a module that are not docstrings (examples in prose are fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_the_package_names_no_consultation_of_its_own():
    """Neither the rules nor the code's strings name the first consultation's words."""
    strings = [(p.relative_to(ROOT).as_posix(), s) for p in (ROOT / "pipeline").rglob("*.py") for s in _code_strings(p)]
    strings += [
        (f"rules {lang} {section}.{key}", str(value))
        for lang in shipped_languages() for section, keys in language_rules(lang).items() for key, value in keys.items()
    ]
    strings += [(p.name, p.read_text(encoding="utf-8")) for p in (ROOT / "pipeline" / "templates").iterdir()]
    hits = [f"{where}: {m.group(0)}" for where, text in strings for m in CONSULTATION_WORDS.finditer(text)]
    assert not hits, hits
