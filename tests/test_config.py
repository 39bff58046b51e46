"""config.yaml is validated on load; errors name the dotted key, the bad value and what is allowed."""

import re
from pathlib import Path

import pytest
import yaml

from pipeline.config import load_config, parse_config
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_data() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_shipped_config_loads():
    config = load_config(ROOT / "config.yaml")
    assert config.question_ids == ["q1", "q2"]
    assert [s.id for s in config.statements] == ["practice_leaders", "practice_supervisors"]
    assert "Voluntary and Community Sector Organisation" in config.form.respondent_types


def test_unknown_key_is_named(config_data):
    config_data["align"]["heading_min_scor"] = 80
    with pytest.raises(ConfigError, match=r"align\.heading_min_scor: unknown key"):
        parse_config(config_data)


def test_out_of_range_value_names_key_value_and_limit(config_data):
    config_data["align"]["similarity_min_score"] = 1.5
    with pytest.raises(ConfigError) as exc:
        parse_config(config_data)
    message = str(exc.value)
    assert "align.similarity_min_score" in message and "1.5" in message and "less than or equal to 1" in message


def test_unknown_reader_lists_allowed_names(config_data):
    config_data["ingest"]["readers"][".docx"] = "word"
    with pytest.raises(ConfigError, match=r"ingest\.readers\.\.docx: .*'text'.*'docx'.*got 'word'"):
        parse_config(config_data)


def test_statement_must_point_at_a_question(config_data):
    config_data["statements"][0]["question"] = "q9"
    with pytest.raises(ConfigError, match=r"statements\.0\.question: 'q9' is not a question id; allowed: q1, q2"):
        parse_config(config_data)


def test_bad_regex_is_reported(config_data):
    config_data["export"]["organisation"] = {"pattern": "organi[sz"}
    with pytest.raises(ConfigError, match=r"export\.organisation: .*not a valid regular expression"):
        parse_config(config_data)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_every_shipped_key_has_a_comment():
    """The first occurrence of every key in config.yaml has a comment line right above it.

    Keys repeated in later list entries (a second question's ``text``) share that comment.
    """
    lines = (ROOT / "config.yaml").read_text(encoding="utf-8").splitlines()
    seen, undocumented = set(), []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:-\s+)?([a-z_]+):", line)
        if not match:
            continue
        key = (len(match.group(1)), match.group(2))
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        if key not in seen and not previous.startswith("#"):
            undocumented.append(f"line {i + 1}: {match.group(2)}")
        seen.add(key)
    assert not undocumented, f"keys without a comment: {undocumented}"
