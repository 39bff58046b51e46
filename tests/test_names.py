"""Finding people's names in running text: each detector, and what is not a person."""

import pytest

from pipeline.config import PrivacyConfig
from pipeline.names import NameFinder, is_english_word

# The consulted text's words and a responding organisation: never names on their own.
VOCABULARY = ["practice", "leaders", "supervisors", "social", "work", "grace", "young", "people", "hope", "house"]


@pytest.fixture(scope="module", params=["spacy", "patterns"])
def finder(request):
    return NameFinder(PrivacyConfig(engine=request.param), VOCABULARY)


def names(finder, text):
    return finder.find([text])[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        # A title makes a person, whatever the entity model calls it.
        ("Her social worker, Ms Iris Sandhu, never asked.", ["Iris Sandhu"]),
        ("We wrote to Dr Radu Ionescu and Mr van der Berg.", ["Radu Ionescu", "van der Berg"]),
        # A role noun, singular or plural, with a comma, colon or bracket.
        ("My support worker Bogdan Marinescu helped.", ["Bogdan Marinescu"]),
        ("Our respite carers, Florin and Elena Georgescu, waited.", ["Florin", "Elena Georgescu"]),
        ("Three team managers (Lukas Petrauskas, Hoa Nguyen and Callum Ferguson) used it.", ["Lukas Petrauskas", "Hoa Nguyen", "Callum Ferguson"]),
        # A role noun names a person even when the consulted text uses the word ("grace").
        ("A family support worker called Grace came on Tuesdays.", ["Grace"]),
        # A role written as an initialism is a cue, not a body's initials ("UN Convention").
        ("Our MP Grace wrote back.", ["Grace"]),
        # An age after the name.
        ("My daughter's friend Maja, aged 9, and Tyler (14) came.", ["Maja", "Tyler"]),
        # A verb of saying after a name set off by commas.
        ("A mother I worked with, Faith, said it helped.", ["Faith"]),
        # Particles and prefixes inside names.
        ("Dafydd ap Rhys met Ana da Silva and Omar al-Hashimi.", ["Dafydd ap Rhys", "Ana da Silva", "Omar al-Hashimi"]),
    ],
)
def test_cues_name_people(finder, text, expected):
    assert names(finder, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The Munro Review (2011) and McLeod, A., 2006 say so.",  # references
        "Staff at Hope House and Gallagher Family Therapy Ltd agree.",  # organisations
        "We work in Ballymena and across Leeds, with the Leeds model.",  # places
        "Practice Leaders should help Young People.",  # the consulted text's words
        "Currently, Similarly and Equally open sentences. She told us. One wrote back.",  # common words, pronouns
        "Our Principal Social Worker signed it on Thu, 27 Aug.",  # a job title, dates
        "I've read it. IROs and the NHS agree.",  # contractions and initialisms
        "It should say more about the UN Convention on the Rights of the Child.",  # a work named after an initialism
    ],
)
def test_what_is_not_a_person(finder, text):
    assert names(finder, text) == []


def test_an_unknown_word_is_a_name_without_a_model():
    finder = NameFinder(PrivacyConfig(engine="patterns"), VOCABULARY)
    assert names(finder, "Then Anca rang me, and I asked Agnieszka.") == ["Anca", "Agnieszka"]


def test_english_word_lists_leave_out_names():
    assert is_english_word("currently") and is_english_word("grace")
    assert not is_english_word("sarah") and not is_english_word("ioana")
