"""Issue 18: every export column and every cell accounted for, nothing silently lost or invented.

A generated export holds every kind of column (closed with long options, open, metadata,
personal, a repeated-header cell, a stock phrase, an anonymous respondent, a header that nearly
matches a question); the same accounting is checked on the shipped sample export and the test
fixtures, and on random column mixes (hypothesis).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import shutil
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.columns import HEADING_MARK, column_stats
from pipeline.config import load_config
from pipeline.forms import norm
from pipeline.ingest import ingest_responses, parse_file
from pipeline.outputs import answers_table
from pipeline.readers.export import ExportReader
from pipeline.run import analyse

ROOT = Path(__file__).resolve().parents[1]
STOCK = "See written response"
LONG_CLOSED = "How important is transparency about how automated systems reach decisions about families?"
OPTIONS = [
    "Very important: it should be a legal obligation for every provider of such systems",
    "Important, but only where a decision affects a child's placement or contact",
    "Not important, the current guidance on recording decisions is enough",
    "No opinion",
]
EXPLAIN = "Please explain your view on transparency"
NEAR_Q2 = "Is there anything else that should be included in the statement which sets out what a supervisor does?"
CONTENT_LINE = "Critical infrastructure (energy sector, telecoms, hospitals), some health,"
HEADERS = [
    "Response ID", "Full name", "Email", "Organisation", "Respondent type", "Responding on behalf of organisation", "Confidential",
    "Question 1", "Question 1 comments", LONG_CLOSED, EXPLAIN, NEAR_Q2, "Submitted on", "Survey language", "Notes",
]
# header -> (role, question_id, decided_by)
ROLES = {
    "Response ID": ("respondent_id", "", "config"),
    "Full name": ("personal", "", "config"),
    "Email": ("personal", "", "config"),
    "Organisation": ("organisation", "", "config"),
    "Respondent type": ("respondent_type", "", "config"),
    "Responding on behalf of organisation": ("metadata", "", "config"),
    "Confidential": ("metadata", "", "config"),
    "Question 1": ("closed_answer", "q1", "config"),
    "Question 1 comments": ("free_text", "q1", "config"),
    LONG_CLOSED: ("closed_answer", "", "cell statistics"),
    EXPLAIN: ("free_text", "", "cell statistics"),
    NEAR_Q2: ("free_text", "", "cell statistics"),
    "Submitted on": ("ignored", "", "cell statistics"),
    "Survey language": ("ignored", "", "cell statistics"),
    "Notes": ("ignored", "", "cell statistics"),
}
EXPLANATIONS = [
    "Families should be told which records a tool used before a decision about their child is made.",
    "Social workers need to be able to explain an automated risk score in plain words at a review meeting.",
    "Transparency matters less than accuracy; a wrong score hurts a family whatever is published about it.",
    "Independent reviewing officers should see the reasons for any automated flag on a care plan.",
    "Published audits of these systems each year would reassure parents and carers in our area.",
    "Young people in care told us they want to know who decided, and why, in words they understand.",
    "Local authorities should keep a register of the systems they use, open to the public and to councillors.",
    "Any automated decision should be reviewable by a qualified practitioner within a week of a request.",
]
Q1_COMMENTS = [
    "Practice leaders should make sure that children in care are asked about their plans at every review.",
    "Leaders need protected time to hear from care leavers about how the service treated them.",
    "The statement should say more about corporate parenting and the legal duties that come with it.",
    "Practice leaders should know the law on contact between brothers and sisters in care.",
]
NEAR_TEXTS = [
    "Supervisors should have time for reflective case discussion every fortnight, not only checklists.",
    CONTENT_LINE + "\nand transport services should also be named in the supervisors' statement.",
    CONTENT_LINE,
    "Supervisors should know how to support newly qualified social workers in their first year.",
]


NAMES = ["Sam Patel", "Alex Morgan", "", "", "Kim Lee", "Jo Evans", "Priya Natarajan", "Tom Haskins", "Ava Clarke", "Ben Osei", "Cara Doyle", "Dan Price"]


def export_rows() -> list[list[str]]:
    """Twelve respondents. Row 3 is anonymous (nothing but answers); row 4 an organisation whose
    name is also typed in the name field; rows 5-7 carry a repeated header, an option label and a
    stock phrase in the free-text columns."""
    explanations = EXPLANATIONS[:4] + [EXPLAIN, OPTIONS[1], STOCK] + EXPLANATIONS[4:] + [""]
    q1_comments = [Q1_COMMENTS[0], "Question 1 comments", "", Q1_COMMENTS[1], "", Q1_COMMENTS[2], "", "", Q1_COMMENTS[3], "", "", ""]
    near = [NEAR_TEXTS[0], "", NEAR_TEXTS[1], "", "", "", NEAR_TEXTS[2], "", "", NEAR_TEXTS[3], "", ""]
    rows = []
    for i in range(12):
        anonymous, edima = i == 2, i == 3
        rows.append([
            f"R{i + 1:03d}",
            "" if anonymous else "EDiMA" if edima else NAMES[i],
            "" if anonymous or edima else f"{NAMES[i].split()[0].lower()}@example.org",
            "EDiMA" if edima else "Westshire County Council" if i == 5 else "",
            "" if anonymous else "Other" if edima else "Parent" if i % 2 else "Child and family social worker",
            "" if anonymous else "Yes" if edima or i == 5 else "No",
            "" if anonymous else "No",
            "" if anonymous else ["Yes", "No", "Not sure"][i % 3],
            q1_comments[i],
            OPTIONS[i % 4] if i != 11 else "",
            explanations[i],
            near[i],
            f"2020-06-{i + 1:02d} 10:{i:02d}",
            "en",
            "",
        ])
    return rows


def write_export(folder: Path, name: str = "online.csv", headers=HEADERS, rows=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([headers, *(export_rows() if rows is None else rows)])
    path = folder / name
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


@pytest.fixture(scope="module")
def stocked(config):
    return config.model_copy(update={"export": config.export.model_copy(update={"stock_phrases": [STOCK]})})


@pytest.fixture(scope="module")
def analysed(stocked, tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    write_export(raw)
    out = tmp_path_factory.mktemp("out")
    hermetic = stocked.model_copy(update={"report": stocked.report.model_copy(update={"overrides_file": str(out / "none.csv")})})
    lines = []
    result = analyse(raw, out, hermetic, ROOT, say=lines.append)
    return result, out, lines


def cell_accounting(responses, columns, exports: dict[str, list[dict]], labels: set[str] = frozenset()) -> list[str]:
    """Problems with the accounting of every filled free-text cell: each must be in its response's
    answer (the unknown question's under its header), but for lines repeating its header or one of
    ``labels`` (options, stock phrases; normalised), or answered without comment; ``exports``:
    source file -> rows ({header: cell}, by data row number from 1)."""
    problems = []
    by_row = {(r.source_file, r.source_row): r for r in responses}
    for column in columns:
        if column.role != "free_text":
            continue
        if column.non_empty != column.answers + column.without_comment:
            problems.append(f"{column.header}: {column.non_empty} cells, {column.answers} answers + {column.without_comment} without comment")
        for number, row in enumerate(exports[column.source_file], start=1):
            cell = row.get(column.header, "").strip()
            response = by_row.get((column.source_file, number))
            if not cell or response is None:
                continue
            text = " ".join(response.answers.get(column.question_id, "").split())
            lines = [" ".join(line.split()) for line in cell.split("\n") if norm(line) not in labels | {norm(column.header)}]
            said = bool(lines) and all(line in text for line in lines if line)
            headed = not column.question_id and f"{HEADING_MARK}{column.header}" in text
            quiet = (column.question_id, cell) in response.without_comment
            if not (said and (headed or column.question_id) or quiet and not lines):
                problems.append(f"{column.header}, row {number}: {cell[:40]!r} is neither an answer nor answered without comment")
    return problems


def read_export(path: Path) -> list[dict]:
    table = ExportReader().open_table(lambda: path.open("rb"), path.name)
    return [dict(zip(table.headers, row.cells)) if row.cells is not None else {} for row in table.rows() if row.number is not None]


# --- the generated export with every kind of column ---------------------------------------------


def test_every_column_has_its_role(analysed):
    _, out, _ = analysed
    columns = pd.read_csv(out / "columns.csv", keep_default_na=False)
    got = {r.header: (r.role, r.question_id, r.decided_by) for r in columns.itertuples()}
    assert got == ROLES
    near = columns.set_index("header").loc[NEAR_Q2]
    assert "header nearest question q2 (score 84, below form.question_min_score 85): no match" in near["evidence"]
    assert list(columns["column"]) == list(range(1, len(HEADERS) + 1))


def test_every_free_text_cell_is_an_answer_or_answered_without_comment(analysed, tmp_path):
    result, out, _ = analysed
    path = write_export(tmp_path)
    labels = {norm(o) for o in OPTIONS} | {norm(STOCK)}
    assert not cell_accounting(result.ingest.responses, result.ingest.columns, {"online.csv": read_export(path)}, labels)
    answers = pd.read_csv(out / "answers.csv", keep_default_na=False)
    assert len(answers) == len(answers_table(result.ingest.responses))
    quiet = sorted(answers.loc[answers["without_comment"].astype(str) == "True", "text"])
    assert quiet == sorted(["Question 1 comments", EXPLAIN, OPTIONS[1], STOCK])
    columns = pd.read_csv(out / "columns.csv", keep_default_na=False).set_index("header")
    assert columns.loc[EXPLAIN, ["non_empty", "answers", "without_comment"]].tolist() == [11, 8, 3]
    assert columns.loc["Question 1 comments", ["non_empty", "answers", "without_comment"]].tolist() == [5, 4, 1]


def test_no_comment_is_a_header_or_an_option_and_no_content_line_is_dropped(analysed):
    _, out, _ = analysed
    comments = pd.read_csv(out / "comments.csv", keep_default_na=False)
    said = comments[comments["kind"] == "comment"]
    labels = {norm(h) for h in HEADERS} | {norm(o) for o in OPTIONS} | {norm(STOCK), "yes", "no", "not sure"}
    assert not [t for t in said["text"] if norm(t) in labels]
    assert CONTENT_LINE in said["text"].tolist()
    assert said["text"].str.startswith(CONTENT_LINE + " and transport").any()
    # Cells answered without comment are counted so, and the unknown question's comments carry their column.
    quiet = comments[comments["kind"] == "non_comment"]
    assert {"Question 1 comments", EXPLAIN, OPTIONS[1], STOCK} <= set(quiet["text"])
    assert set(said.loc[said["question_id"] == "", "heading"]) == {EXPLAIN, NEAR_Q2}
    assert comments["heading"].str.contains("#").sum() == 0


def test_unconfigured_closed_column_is_in_closed_questions(analysed):
    _, out, _ = analysed
    closed = pd.read_csv(out / "closed_questions.csv", encoding="utf-8-sig", keep_default_na=False)
    overall = closed[(closed["question_id"] == LONG_CLOSED) & (closed["respondent_type"] == "All respondents")].iloc[0]
    assert [int(overall[o]) for o in OPTIONS] == [3, 3, 3, 2] and int(overall["not_answered"]) == 1 and int(overall["total"]) == 12
    assert set(closed["question_id"]) == {"q1", "q2", LONG_CLOSED}
    other = pd.read_csv(out / "other_closed_answers.csv", keep_default_na=False)
    assert len(other) == 11 and set(other["column"]) == {LONG_CLOSED}


def test_anonymous_respondent_is_not_stated_and_no_individual(analysed):
    _, out, _ = analysed
    responses = pd.read_csv(out / "responses.csv", keep_default_na=False).set_index("respondent_ref")
    assert responses.loc["R003", ["respondent_type", "on_behalf_of_organisation", "organisation"]].tolist() == ["", "", ""]
    by_type = pd.read_csv(out / "respondents_by_type.csv", encoding="utf-8-sig").set_index("respondent_type")
    assert by_type.loc["Not stated", ["respondents", "organisations", "individuals"]].tolist() == [1, 0, 0]
    assert by_type.loc["All respondents", ["respondents", "organisations", "individuals"]].tolist() == [12, 2, 9]


def test_an_organisation_typed_in_the_name_field_is_kept_and_not_redacted(analysed):
    result, out, _ = analysed
    responses = pd.read_csv(out / "responses.csv", keep_default_na=False).set_index("respondent_ref")
    assert responses.loc["R004", "organisation"] == "EDiMA"
    edima = next(r for r in result.ingest.responses if r.respondent_ref == "R004")
    assert "EDiMA" not in edima.personal.names


def test_summary_line_and_method_notes_count_the_columns(analysed):
    _, out, lines = analysed
    ingest = next(line for line in lines if line.startswith("Ingest - "))
    assert ingest.endswith(
        "; 15 export columns: 12 used (3 free_text, 2 closed_answer, 2 metadata, 2 personal, 1 organisation, 1 respondent_id, "
        "1 respondent_type), 3 ignored (2 not free text nor closed, 1 empty); 2 free-text column(s) answer no configured question"
    )
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Export columns: 15 in 1 export(s); 12 used (3 free text, 2 closed answers," in report
    assert "3 ignored (1 empty, 2 neither free text nor a closed question)" in report


def test_strict_fails_on_an_unmapped_free_text_column(stocked, tmp_path):
    raw = tmp_path / "raw"
    write_export(raw)
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8").replace("cache_dir: data/interim/cache", f"cache_dir: {tmp_path / 'cache'}")
                      .replace("reference_dir: data/reference", f"reference_dir: {ROOT / 'data' / 'reference'}"), encoding="utf-8")
    result = CliRunner().invoke(app, ["analyse", str(raw), "--out", str(tmp_path / "out"), "--config", str(config), "--strict"])
    assert result.exit_code == 3
    assert f"--strict: 2 free-text export column(s) answer no configured question, first {EXPLAIN!r}" in result.output


# --- the shipped sample export and the fixtures ---------------------------------------------------


CONFIGURED = {
    "Response ID": "respondent_id", "Full name": "personal", "Email": "personal", "Organisation": "organisation",
    "Respondent type": "respondent_type", "Responding on behalf of organisation": "metadata", "Confidential": "metadata",
    "Question 1": "closed_answer", "Question 1 comments": "free_text", "Question 2": "closed_answer", "Question 2 comments": "free_text",
}


@pytest.mark.parametrize("name", ["eval export.csv", "export.csv", "export.xlsx"])
def test_sample_and_fixture_exports_account_for_every_cell(name, files, config, tmp_path):
    source = ROOT / "tests" / "eval" / "docs" / "export.csv" if name.startswith("eval") else files[name]
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(source, raw / source.name)
    result = ingest_responses(raw, config)
    assert {c.header: c.role for c in result.columns} == CONFIGURED
    assert all(c.decided_by == "config" and not c.warning.startswith("only") for c in result.columns)
    assert {c.header: c.question_id for c in result.columns if c.role in ("free_text", "closed_answer")} == {
        "Question 1": "q1", "Question 1 comments": "q1", "Question 2": "q2", "Question 2 comments": "q2"}
    assert not cell_accounting(result.responses, result.columns, {source.name: read_export(raw / source.name)})
    headers = {norm(c.header) for c in result.columns} | {norm(o) for q in config.questions for o in q.options}
    assert not [t for r in result.responses for t in r.answers.values() if norm(t) in headers]


# --- random column mixes ------------------------------------------------------------------------


WORDS = "supervision children care leaders practice time families review plans social workers court statement reflective".split()
KINDS = ("closed", "long_closed", "free", "free_sparse", "date", "constant", "empty", "header_copies")


@st.composite
def exports(draw):
    """An export of random columns, each of a random kind, with random blanks, header copies,
    option labels and stock phrases among the free text."""
    n_rows = draw(st.integers(1, 30))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=8))
    kinds = ["id", *kinds]  # every row has an id, as exports do: no row is empty
    headers = ["Response ID"] + [f"{kind.replace('_', ' ').title()} column {i}" for i, kind in enumerate(kinds[1:], start=1)]
    rng = draw(st.randoms(use_true_random=False))

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 25))).capitalize() + "."

    options = {i: [f"Option {i}.{k} " + (" ".join(WORDS[:rng.randint(1, 10)]) if kind == "long_closed" else "") for k in range(rng.randint(2, 5))]
               for i, kind in enumerate(kinds)}
    rows = []
    for r in range(n_rows):
        row = []
        for i, kind in enumerate(kinds):
            blank = rng.random() < 0.25
            if kind == "id":
                row.append(f"R{r + 1}")
            elif kind in ("closed", "long_closed"):
                row.append("" if blank else rng.choice(options[i]).strip())
            elif kind in ("free", "free_sparse"):
                quiet = rng.random()
                cell = headers[i] if quiet < 0.1 else STOCK if quiet < 0.15 else rng.choice(options[0]).strip() if quiet < 0.2 else sentence()
                row.append("" if blank or (kind == "free_sparse" and rng.random() < 0.7) else cell + ("\n" + sentence() if rng.random() < 0.2 else ""))
            elif kind == "date":
                row.append(f"2020-06-{r % 28 + 1:02d} 10:{r % 60:02d}")
            elif kind == "constant":
                row.append("en")
            elif kind == "empty":
                row.append("")
            else:
                row.append("" if blank else headers[i])
        rows.append(row)
    return headers, rows


@functools.cache
def stocked_config():
    config = load_config(ROOT / "config.yaml")
    return config.model_copy(update={"export": config.export.model_copy(update={"stock_phrases": [STOCK]})})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export=exports())
def test_random_column_mixes_account_for_every_column_and_cell(export):
    headers, rows = export
    stocked = stocked_config()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([headers, *rows])
    data = buffer.getvalue().encode("utf-8")
    result = parse_file(data, "random.csv", "0" * 64, stocked)
    # Every column once, with one role; every row a response or a skip.
    assert [c.column for c in result.columns] == list(range(1, len(headers) + 1))
    assert len(result.responses) + sum(1 for s in result.skipped if "(row " in s.source_file) == len(rows)
    for column in result.columns:
        filled = sum(1 for row in rows if row[column.column - 1].strip())
        assert column.non_empty == filled
        if column.role == "free_text":
            assert column.non_empty == column.answers + column.without_comment
        elif column.role == "ignored":
            assert column.answers == column.without_comment == 0
        else:
            assert column.answers == column.non_empty and column.without_comment == 0
    table = [dict(zip(headers, row)) for row in rows]
    closed = {c.header for c in result.columns if c.role == "closed_answer"}
    options = {norm(row[headers.index(h)]) for h in closed for row in rows} - {""}
    assert not cell_accounting(result.responses, result.columns, {"random.csv": table}, options | {norm(STOCK)})
    # No answer's text is a header, an option or a stock phrase of its own.
    labels = {norm(h) for h in headers} | options | {norm(STOCK)}
    for response in result.responses:
        for text in response.answers.values():
            paragraphs = [p for p in text.split("\n\n") if not p.startswith(HEADING_MARK)]
            assert not [p for p in paragraphs if norm(p) in labels]


# --- streaming ------------------------------------------------------------------------------------


def big_export(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Response ID", "Question 1", "Question 1 comments", LONG_CLOSED, "Any other comments?"])
        for i in range(rows):
            comment = f"Response {i}: " + " ".join(WORDS[(i + k) % len(WORDS)] for k in range(40)) + ".\nSupervisors need protected time."
            writer.writerow([f"R{i}", ["Yes", "No", "Not sure"][i % 3], comment, OPTIONS[i % 4], comment if i % 4 else ""])
    return path


def reading_peak(path: Path) -> int:
    """Peak bytes allocated by the first pass over an export (its column statistics)."""
    tracemalloc.start()
    table = ExportReader().open_table(lambda: path.open("rb"), path.name)
    column_stats(len(table.headers), (row.cells for row in table.rows() if row.cells is not None))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_an_export_is_streamed_with_bounded_memory_whatever_its_size(config, tmp_path):
    small, large = big_export(tmp_path / "small.csv", 2_000), big_export(tmp_path / "large.csv", 8_000)
    assert large.stat().st_size > 5_000_000
    # Reading four times the rows takes about the same memory: samples, chunks and each
    # column's bounded statistics (measured: about 3.5 MB, whatever the size).
    assert reading_peak(large) < 1.5 * reading_peak(small) + 1_000_000
    assert reading_peak(large) < 8_000_000
    raw = tmp_path / "raw"
    raw.mkdir()
    large.rename(raw / "large.csv")
    tiny = config.model_copy(update={"ingest": config.ingest.model_copy(update={"max_file_mb": 1})})
    result = ingest_responses(raw, tiny)
    assert len(result.responses) == 8_000 and not result.skipped
    assert {c.header: c.role for c in result.columns} == {
        "Response ID": "respondent_id", "Question 1": "closed_answer", "Question 1 comments": "free_text",
        LONG_CLOSED: "closed_answer", "Any other comments?": "free_text"}
    assert re.fullmatch(r"Response 7999: .*", result.responses[-1].answers["q1"].split("\n\n")[0])


# --- claims ---------------------------------------------------------------------------------------


def test_a_header_matching_a_question_already_found_is_never_dropped(config, tmp_path):
    """Issue 18: a column fuzzy-matched to a configured question was claimed and then dropped.
    Here config names q1's columns; two more headers quote q1's text: each keeps its cells, read by
    its cells, with a warning naming the column that q1 already has."""
    q1 = config.questions[0].text
    headers = ["Response ID", "Question 1", "Question 1 comments", f"1. {q1}", f"{q1} (please explain)"]
    rows = [[f"R{i}", ["Yes", "No"][i % 2], Q1_COMMENTS[i % 4], ["Yes", "No", "Not sure"][i % 3], EXPLANATIONS[i]] for i in range(8)]
    path = write_export(tmp_path / "raw", headers=headers, rows=rows)
    result = ingest_responses(path.parent, config)
    roles = {c.header: (c.role, c.question_id, c.decided_by) for c in result.columns}
    assert roles == {
        "Response ID": ("respondent_id", "", "config"), "Question 1": ("closed_answer", "q1", "config"),
        "Question 1 comments": ("free_text", "q1", "config"), f"1. {q1}": ("closed_answer", "", "cell statistics"),
        f"{q1} (please explain)": ("free_text", "", "cell statistics"),
    }
    warnings = {c.header: c.warning for c in result.columns}
    assert warnings[f"1. {q1}"] == "header matches question q1 (score 100), whose closed answer column is 'Question 1'"
    assert warnings[f"{q1} (please explain)"] == "header matches question q1 (score 100), whose comment column is 'Question 1 comments'"
    assert all(c.answers == c.non_empty == 8 for c in result.columns)
    assert all(EXPLANATIONS[r.source_row - 1] in r.answers[""] for r in result.responses)


def test_an_export_attached_to_an_email_has_its_columns(config, tmp_path):
    from email.message import EmailMessage

    buffer = io.StringIO()
    csv.writer(buffer).writerows([["Response ID", "Question 1", "Question 1 comments"], ["A1", "Yes", Q1_COMMENTS[0]], ["A2", "No", Q1_COMMENTS[1]]])
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "portal@example.org", "team@example.org", "Responses"
    message.set_content("Responses attached.")
    message.add_attachment(buffer.getvalue().encode("utf-8"), maintype="text", subtype="csv", filename="online.csv")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "mail.eml").write_bytes(message.as_bytes())
    result = ingest_responses(tmp_path / "raw", config)
    assert {(c.source_file, c.header, c.role) for c in result.columns} == {
        ("mail.eml (attachment online.csv)", "Response ID", "respondent_id"),
        ("mail.eml (attachment online.csv)", "Question 1", "closed_answer"),
        ("mail.eml (attachment online.csv)", "Question 1 comments", "free_text"),
    }
    assert sorted(r.answers["q1"] for r in result.responses if r.layout == "export") == sorted(Q1_COMMENTS[:2])


def test_a_closed_answer_mapping_that_claims_free_text_is_a_config_error(config, tmp_path):
    """The DfE mapping copied to another consultation: its q1 answer pattern claims that
    consultation's free-text "Q1. …" column, whose answers would all be kept as closed answers."""
    from pipeline.errors import ConfigError

    headers = ["Response ID", "Q1. What do you think about gambling adverts on television?"]
    rows = [[f"R{i}", text] for i, text in enumerate(EXPLANATIONS)]
    write_export(tmp_path / "raw", headers=headers, rows=rows)
    with pytest.raises(ConfigError) as error:
        analyse(tmp_path / "raw", tmp_path / "out", config, root=tmp_path)
    message = str(error.value)
    assert message.startswith("export.questions.q1.answer: column 'Q1. What do you think about gambling adverts on television?'")
    assert "0% of its 8 filled cells are its options (Yes, No, Not sure)" in message and "\n" not in message
    assert not (tmp_path / "out" / "comments.csv").exists()
