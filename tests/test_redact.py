"""Personal data is redacted from every text, names in running text included; organisations stay."""

import pytest

from pipeline.config import PrivacyConfig
from pipeline.records import PersonalDetails
from pipeline.redact import Redactor, rare_proper_nouns, redact, run_vocabulary


@pytest.fixture(scope="module")
def redactor(config):
    vocabulary = run_vocabulary(["Practice leaders and practice supervisors support family practitioners and the young person."], config)
    return Redactor(config.privacy, vocabulary)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("My foster carer Sarah Jones said call 07700 900123.", "My foster carer [NAME] said call [PHONE]."),
        ("Write to jo.bloggs@example.org or +44 20 7946 0958.", "Write to [EMAIL] or [PHONE]."),
        ("We live at 15 High Street, Leeds LS1 4AB.", "We live at [ADDRESS], Leeds [ADDRESS]."),
        ("I spoke to Mr Patel; my social worker Jade was great.", "I spoke to Mr [NAME]; my social worker [NAME] was great."),
        ("The Who Cares? Trust and Ofsted agree that Practice Leaders need time.", "The Who Cares? Trust and Ofsted agree that Practice Leaders need time."),
        ("Practice Supervisors should help Family Practitioners hear the Young Person.", "Practice Supervisors should help Family Practitioners hear the Young Person."),
    ],
)
def test_entities_in_running_text(redactor, text, expected):
    assert redactor.redact_texts([text], [None]) == [expected]


def test_known_identifiers_are_replaced_wherever_they_recur(redactor):
    personal = PersonalDetails(names={"Chloë Cockett"}, emails={"chloe@example.org"}, addresses={"15-18 White Lion Street, London, N1 9PG"})
    text = "Contact Chloë Cockett (Ms Cockett) at chloe@example.org, 15-18 White Lion Street."
    assert redactor.redact_texts([text], [personal]) == ["Contact [NAME] (Ms [NAME]) at [EMAIL], [ADDRESS]."]


def test_patterns_engine_needs_no_model(config):
    """Without an entity model, cues and unknown capitalised words still find names."""
    patterns = Redactor(PrivacyConfig(engine="patterns"), [])
    assert patterns.redact_texts(["Call 0113 496 0000, email a@b.org. Sarah Jones"], [None]) == ["Call [PHONE], email [EMAIL]. [NAME]"]
    assert redact("Northtown Council, NT1 2AB") == "[ADDRESS]"  # a short line with a postcode is an address


@pytest.mark.parametrize(
    "organisation, text",
    [
        ("4Children Trust", "As 4Children Trust we agree."),
        ("St. Mary's Trust", "Staff at ST. MARY'S TRUST agree."),
        ("Anna-Marie Foundation", "The Anna-Marie Foundation agrees."),
        ("Über Care Ltd", "Über Care Ltd agrees."),
    ],
)
def test_protected_names_are_found_whatever_their_first_word(organisation, text):
    """The index of protected names by first word must never hide a name that occurs."""
    from pipeline.redact import _mask, _word_index

    protected = [organisation, "Unrelated Other Org"]
    assert "\x000\x00" in _mask(text, protected, _word_index(protected))


def test_a_name_found_in_one_answer_is_redacted_in_the_others_of_its_response(redactor):
    texts = ["Her social worker, Ms Iris Sandhu, never asked.", "Iris said nothing, and Sandhu's notes were lost.", "Iris and Sandhu are not named here."]
    redacted = redactor.redact(texts, [None, None, None], groups=["a", "a", "b"])
    assert redacted.texts[:2] == ["Her social worker, Ms [NAME], never asked.", "[NAME] said nothing, and [NAME]'s notes were lost."]
    # Another response: the unknown surname is redacted across the corpus; so is the given name,
    # a common word, where capitalised inside a sentence.
    assert redacted.texts[2] == "[NAME] and [NAME] are not named here."


def test_few_patterns_kept_at_once_redact_as_many_kept_would(redactor, monkeypatch):
    import pipeline.redact as redact_module

    texts = ["Ms Iris Sandhu never asked.", "Dr Tomas Berg wrote.", "Sandhu's notes were lost.", "Berg agreed, and Iris too.", "Nobody here."]
    groups = ["a", "b", "a", "b", "c"]  # a response's texts apart, as a table may hold them
    kept = redactor.redact(texts, [None] * 5, groups=groups).texts
    monkeypatch.setattr(redact_module, "PATTERNS_KEPT", 1)
    assert redactor.redact(texts, [None] * 5, groups=groups).texts == kept
    assert kept[:4] == ["Ms [NAME] never asked.", "Dr [NAME] wrote.", "[NAME]'s notes were lost.", "[NAME] agreed, and [NAME] too."]


def test_a_common_word_name_is_redacted_where_capitalised_only(redactor):
    texts = ["My foster carer Grace Okafor was kind. Grace rang weekly, by the grace of God."]
    assert redactor.redact_texts(texts, [None]) == ["My foster carer [NAME] was kind. [NAME] rang weekly, by the grace of God."]


def test_organisations_that_responded_keep_a_surname_inside_them(redactor):
    personal = PersonalDetails(names={"Peter Gallagher"})
    text = "Peter Gallagher writes for Gallagher Family Therapy Ltd; Gallagher agrees."
    out = redactor.redact_texts([text], [personal], keep=["Gallagher Family Therapy Ltd"])
    assert out == ["[NAME] writes for Gallagher Family Therapy Ltd; [NAME] agrees."]


def test_what_was_redacted_is_recorded_for_the_audit(redactor):
    personal = PersonalDetails(names={"Jo Bloggs"}, emails={"jo@example.org"})
    redacted = redactor.redact(["Jo Bloggs (jo@example.org) met Bogdan Marinescu; call 07700 900123."], [personal])
    assert {"Jo Bloggs", "Bogdan Marinescu"} <= redacted.names
    assert {"bloggs", "bogdan", "marinescu"} <= redacted.words
    assert {"jo@example.org", "07700 900123"} <= redacted.contacts


def test_rare_proper_nouns_are_those_few_responses_write_and_counting_stops_past_the_limit():
    import random

    rng = random.Random(3)
    words = ["Marinescu", "Ofsted", "Brookfield", "Tuesday", "Sandhu"]
    texts, groups = [], []
    for i in range(300):
        chosen = rng.sample(words, rng.randint(0, 3)) if i % 7 else ["Ofsted"]
        texts.append("We told " + " and ".join(chosen) + " about it." if chosen else "Nothing here.")
        groups.append(f"r{i // 2}")  # two answers per response
    where = {w.casefold(): {g for t, g in zip(texts, groups) if w in t} for w in words}
    for limit in (1, 5, 60, 150):
        expected = frozenset(w for w, found in where.items() if found and len(found) <= limit) - {"tuesday"}
        assert rare_proper_nouns(texts, groups, {"tuesday"}, limit) == expected
    assert rare_proper_nouns(["We told Sandhu.", "Sandhu again."], ["a", "b"], set(), 1) == frozenset()
    assert rare_proper_nouns(["We told Sandhu.", "Sandhu again."], ["a", "a"], set(), 1) == {"sandhu"}
