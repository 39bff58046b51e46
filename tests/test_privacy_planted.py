"""Planted sets written before the redaction rules (tests/privacy/planted/): no planted person's
name reaches any output file, no confidential respondent's phrase reaches a published output, no
class under privacy.min_group respondents gets keywords, and what is not personal data survives.

``dev`` is the set the rules were tuned on; ``holdout`` was never looked at while tuning.
"""

import difflib
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
PLANTED = ROOT / "tests" / "privacy" / "planted"
sys.path.insert(0, str(ROOT / "tests" / "privacy"))
from planted import score_planted  # noqa: E402

# Planted people whose name may leave a token in an output, per set. The holdout set, never looked
# at while tuning, leaks one: a given name that is also a common word, opening a quotation, with
# no title, role noun or age to mark it (measured; see README "Personal data").
MAX_LEAKED = {"dev": 0, "holdout": 1}
# Share of the manifests' "keep" strings (organisations, places, reports, common words used in
# their ordinary sense) that must survive somewhere in the outputs.
MIN_KEPT_SHARE = 0.9


@pytest.fixture(scope="module", params=["dev", "holdout"])
def planted_run(request, config, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"planted-{request.param}")
    hermetic = config.model_copy(update={"report": config.report.model_copy(update={"overrides_file": str(out / "none.csv")})})
    analyse(PLANTED / request.param, out, hermetic, ROOT)
    return PLANTED / request.param, out, config


def test_no_planted_name_in_any_output(planted_run):
    raw, out, _ = planted_run
    score = score_planted(raw, out)
    assert score.people >= 60
    leaks = [f"{p['id']} ({', '.join(p['ways'])}): {sorted({t for _, t in p['where']})} in {sorted({f for f, _ in p['where']})[:3]}" for p in score.leaked]
    assert len(leaks) <= MAX_LEAKED[raw.name], "\n".join(leaks)


def test_no_confidential_phrase_in_a_published_output(planted_run):
    raw, out, _ = planted_run
    assert score_planted(raw, out).confidential_found == []


def test_no_keywords_for_classes_under_min_group(planted_run):
    _, out, config = planted_run
    per_class = pd.read_csv(out / "topics_per_class.csv", keep_default_na=False)
    small = per_class[per_class["n_respondents"] < config.privacy.min_group]
    assert len(small) and (small["keywords"] == "").all()


def test_what_is_not_personal_data_survives(planted_run):
    raw, out, _ = planted_run
    kept, total = score_planted(raw, out).kept
    assert kept / total >= MIN_KEPT_SHARE


# At most this share of the statements' own words and organisation names may be redacted.
MAX_OVER_REDACTED = 0.02


def redacted_share(raw: list[str], redacted: list[str], vocabulary: set[str]) -> tuple[int, int]:
    """Occurrences of ``vocabulary`` words in ``raw`` that redaction replaced, and all of them."""
    lost = total = 0
    for before, after in zip(raw, redacted):
        a, b = re.findall(r"\w+|\[NAME\]", before), re.findall(r"\w+|\[NAME\]", after)
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            hits = sum(w.casefold() in vocabulary for w in a[i1:i2])
            total += hits
            lost += hits if tag in ("replace", "delete") else 0
    return lost, total


def test_statement_words_and_organisations_are_hardly_ever_redacted(config, statements):
    from pipeline.ingest import ingest_responses
    from pipeline.outputs import answers_table
    from pipeline.redact import Redactor, run_vocabulary

    ingest = ingest_responses(ROOT / "data" / "raw", config)
    organisations = [r.organisation for r in ingest.responses]
    vocabulary = run_vocabulary(list(statements["text"]) + organisations, config)
    answers = answers_table(ingest.responses)
    personal = {r.response_id: r.personal for r in ingest.responses}
    redactor = Redactor(config.privacy, vocabulary)
    out = redactor.redact_texts(list(answers["text"]), [personal[r] for r in answers["response_id"]], keep=organisations * len(answers))
    words = {w.casefold() for text in list(statements["text"]) + organisations for w in re.findall(r"\w+", text)}
    # The respondent's own name is no statement word, whatever it shares with one.
    own = {w.casefold() for r in ingest.responses for name in r.personal.names for w in name.split()}
    lost, total = redacted_share(list(answers["text"]), out, words - own)
    assert total > 1000 and lost / total < MAX_OVER_REDACTED
