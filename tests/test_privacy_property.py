"""Property: letters that name random people (many origins) with titles, role nouns, ages,
repeated bare mentions and possessives never let a name token reach an output."""

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.audit import file_text
from pipeline.config import PrivacyConfig
from pipeline.redact import Redactor
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
GIVEN = [
    "Ioana", "Radu", "Bogdan", "Kwame", "Adaeze", "Chinonso", "Siobhan", "Aoife", "Tomasz", "Agnieszka", "Priya", "Arjun",
    "Farhan", "Nusrat", "Mehmet", "Elif", "Thanh", "Minh", "Xiaoling", "Wei", "Hamza", "Amina", "Lukas", "Ruta", "Dafydd",
    "Eluned", "Grace", "Hope", "Will", "Precious", "Joy", "Mark",
]
SURNAMES = [
    "Popescu", "Marinescu", "Asante", "Okonkwo", "Nwosu", "O'Sullivan", "Kowalczyk", "Wiśniewska", "Raman", "Chaudhry",
    "Begum", "Yilmaz", "Nguyen", "Zhang", "Haddad", "Petrauskas", "ap Rhys", "van der Berg", "da Silva", "Brown", "Young",
]
TITLES = ["Mr", "Mrs", "Ms", "Dr", "Miss"]
ROLES = ["My support worker", "Our IRO,", "My foster carer", "Her social worker,", "The team manager", "My advocate"]
# Sentences after the first, which introduces the person with a cue.
LATER = [
    "Later {g} told me it would be fine.", "I asked {g} what would happen next.", "{g}'s notes were lost twice.",
    "We never saw {s}'s report.", "{t} {s} never replied to my letters.", "Nobody listened to {g}, even in the review.",
]
AGE_SENTENCE = "My daughter {c}, aged {n}, was moved without notice."
REDACTOR = Redactor(PrivacyConfig(), ["practice", "leaders", "children", "care", "plans"])
BODY = "Practice leaders should make sure that children in care are listened to and that plans are explained."


@st.composite
def letters(draw):
    """(text, name tokens) of one letter about one or two people."""
    g, s = draw(st.sampled_from(GIVEN)), draw(st.sampled_from(SURNAMES))
    c, n = draw(st.sampled_from(GIVEN)), draw(st.integers(2, 17))
    t, role = draw(st.sampled_from(TITLES)), draw(st.sampled_from(ROLES))
    later = draw(st.lists(st.sampled_from(LATER), min_size=1, max_size=4, unique=True))
    sentences = [f"{role} {g} {s} came once.", *(x.format(g=g, s=s, t=t) for x in later)]
    tokens = {g, *s.split()}
    if draw(st.booleans()):
        sentences.append(AGE_SENTENCE.format(c=c, n=n))
        tokens.add(c)
    text = f"Dear Sir or Madam,\n\n{BODY} {' '.join(sentences)}\n\n{BODY}\n\nYours faithfully,\n\nA parent\n"
    return text, {token for token in tokens if token not in {"ap", "van", "der", "da"}}


def leaked(tokens: set[str], text: str) -> set[str]:
    """Tokens standing in ``text`` as names: capitalised, or in any case when not a common word."""
    common = {"Grace", "Hope", "Will", "Precious", "Joy", "Mark", "Brown", "Young"}
    return {t for t in tokens if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text, 0 if t in common else re.IGNORECASE)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(letters())
def test_no_name_survives_redaction(letter):
    text, tokens = letter
    [out] = REDACTOR.redact_texts([text], [None])
    assert not leaked(tokens, out), out


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(letters(), min_size=3, max_size=3))
def test_no_name_reaches_any_output_file(config, tmp_path_factory, batch):
    raw, out = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("out")
    for i, (text, _) in enumerate(batch):
        (raw / f"letter{i}.txt").write_text(text, encoding="utf-8")
    hermetic = config.model_copy(update={"report": config.report.model_copy(update={"overrides_file": str(out / "none.csv")})})
    analyse(raw, out, hermetic, ROOT)
    tokens = set().union(*(t for _, t in batch))
    found = {p.relative_to(out).as_posix(): leaked(tokens, file_text(p)) for p in out.rglob("*") if p.is_file() and "cache" not in p.parts}
    assert not {k: v for k, v in found.items() if v}
