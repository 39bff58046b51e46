"""Write N realistic, seeded consultation responses for ``make bench``.

``python bench/generate.py OUT_DIR --n 1000 [--seed 7]`` writes a folder of response files in
the formats the pipeline reads, in roughly the shares a real consultation sees:

- Word forms with section headings under the question, and without (``forms/``);
- PDF letters (``letters/*.pdf``) and plain-text letters (``letters/*.txt``);
- one online export (``export/online_responses.csv``) with one row per online response;
- a campaign share: letters that copy one of a few standard texts, some lightly edited;
- a few broken files (a truncated .docx, a PDF without a text layer, an empty .txt).

Each response carries about six comments (three per question), built from the consulted
statements' own sentences and the codebook's phrases, varied by templates, so that every
stage (alignment by heading and quote, asks, stance, themes) has real work to do. Same N and
seed, same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from make_fixtures import save_docx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Shares of the N responses by format (the export takes the rest).
SHARE_FORM_HEADINGS = 0.20
SHARE_FORM_PLAIN = 0.15
SHARE_LETTER_PDF = 0.08
SHARE_LETTER_TXT = 0.07
SHARE_CAMPAIGN = 0.08
# Comments per question (two questions: ~6 comments per response).
COMMENTS_PER_QUESTION = (2, 4)
# Broken files: one per this many responses, at least three.
BROKEN_EVERY = 500

FIRST = ["Alex", "Sam", "Jo", "Chris", "Priya", "Mohammed", "Grace", "Tom", "Aisha", "Ruth", "Daniel", "Fatima", "Owen", "Lucy"]
LAST = ["Morgan", "Patel", "Smith", "Jones", "Khan", "Williams", "Taylor", "Brown", "Evans", "Hughes", "Ahmed", "Clarke"]
ORG_PLACES = ["Northshire", "Eastbridge", "Riverton", "Westmoor", "Southvale", "Hillford", "Lakeside", "Greyhaven"]
ORG_KINDS = ["County Council", "Children's Trust", "Foster Care Network", "Family Support Association", "University", "Safeguarding Partnership"]
RESPONDENT_TYPES = ["Social Worker", "Local authority or representative body", "Voluntary and Community Sector Organisation", "Parent", "Carer", "Child and family social worker", "Other"]
OPENERS = [
    "We would like the statement to include {ask}.",
    "Practice leaders should make sure that {ask} is part of everyday practice.",
    "The statement says too little about {ask}; it should be added to this section.",
    "In our experience {ask} makes the biggest difference to children and families.",
    "We support this section, but it needs to say more about {ask}.",
    "It is not clear what is meant by {ask} in practice.",
    "Supervisors must have protected time for {ask}.",
    "There should be a clear expectation about {ask}, as 45% of our staff told us.",
]
QUOTES = [
    "We suggest that '{quote}' is extended to include {ask}.",
    "The sentence '{quote}' should read '{quote} and {ask}'.",
    "We welcome '{quote}', but {ask} is missing.",
]
FILLERS = [
    "This matters most for children in public care and care leavers.",
    "Young people regularly tell us that they want to be listened to.",
    "Research shows that stable relationships improve outcomes (Munro, 2011).",
    "Caseloads in our area make this hard to achieve without more support.",
    "The wording could be simpler and avoid jargon.",
    "Leaders need to model this themselves.",
]
CAMPAIGN_TEXTS = [
    "We call on the Department to make the voice of the child central to both statements. Every practice leader and "
    "every practice supervisor should be able to show how children's wishes and feelings shaped each decision, and "
    "children in care should have an independent advocate whenever a decision about their care plan is made.",
    "Social workers need manageable caseloads and protected time for direct work with children. The statements "
    "should require practice leaders to monitor caseloads, to guarantee regular reflective supervision, and to report "
    "publicly on how much time social workers spend with the children and families they support.",
]


def _vocabulary() -> tuple[dict[str, list[str]], list[str], list[str], dict]:
    """Section titles and sentences per statement (as the pipeline reads them), the codebook's phrases, the config."""
    from pipeline.config import load_config
    from pipeline.statements import load_statements

    statements = load_statements(load_config(ROOT / "config.yaml"), ROOT)
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    sections = {sid: sorted(set(group["section_title"])) for sid, group in statements.groupby("statement_id")}
    sentences = sorted({t for t in statements["text"] if 8 <= len(t.split()) <= 30 and t.endswith(".")})
    asks = [p for entry in config["tag"]["codebook"] for p in entry["patterns"] if isinstance(p, str)]
    return sections, sentences, asks, config


class Writer:
    """Seeded builder of comments and files."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.sections, self.sentences, self.asks, self.config = _vocabulary()
        self.questions = self.config["questions"]

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def organisation(self) -> str:
        return f"{self.rng.choice(ORG_PLACES)} {self.rng.choice(ORG_KINDS)}" if self.rng.random() < 0.6 else ""

    def comment(self) -> str:
        ask = self.rng.choice(self.asks)
        if self.rng.random() < 0.25:
            sentence = self.rng.choice(self.sentences)
            words = sentence.rstrip(".").split()
            start = self.rng.randrange(0, max(1, len(words) - 6))
            quote = " ".join(words[start : start + self.rng.randint(4, 8)])
            first = self.rng.choice(QUOTES).format(quote=quote, ask=ask)
        else:
            first = self.rng.choice(OPENERS).format(ask=ask)
        rest = self.rng.sample(FILLERS, self.rng.randint(0, 2))
        if self.rng.random() < 0.5:
            # Reuse a statement sentence, lightly reworded, so alignment by similarity has work.
            rest.append("For example: " + self.rng.choice(self.sentences).replace("Be ", "Being ", 1))
        return " ".join([first, *rest])

    def answer(self, statement_id: str, headings: bool) -> list[tuple[str | None, str]]:
        """(heading or None, comment) pairs for one question."""
        out = []
        for _ in range(self.rng.randint(*COMMENTS_PER_QUESTION)):
            heading = self.rng.choice(self.sections[statement_id]) if headings else None
            out.append((heading, self.comment()))
        return out


def _statement_of(writer: Writer, question_id: str) -> str:
    return next(s["id"] for s in writer.config["statements"] if s["question"] == question_id)


def form_docx(writer: Writer, headings: bool) -> bytes:
    from docx import Document

    rng = writer.rng
    document = Document()
    document.add_paragraph("Consultation Response Form", style="Title")
    document.add_paragraph(f"Name: {writer.person()}")
    document.add_paragraph(f"Name of Organisation (if applicable): {writer.organisation()}")
    document.add_paragraph(f"E-mail address: {writer.person().lower().replace(' ', '.')}@example.org")
    kind = rng.choice(RESPONDENT_TYPES)
    table = document.add_table(rows=len(RESPONDENT_TYPES), cols=2)
    for row, label in zip(table.rows, RESPONDENT_TYPES):
        row.cells[0].text = "☒" if label == kind else "☐"
        row.cells[1].text = label
    for question in writer.questions:
        document.add_paragraph().add_run(f"{question['aliases'][0]}: {question['text']}").bold = True
        ticked = rng.choice(question["options"])
        document.add_paragraph("   ".join(f"{'☒' if o == ticked else '☐'} {o}" for o in question["options"]))
        document.add_paragraph("Comments:")
        for heading, text in writer.answer(_statement_of(writer, question["id"]), headings):
            if heading:
                document.add_paragraph(heading, style="Heading 2")
            document.add_paragraph(text)
    document.add_paragraph("Thank you for taking the time to let us have your views.")
    return save_docx(document)  # fixed zip dates: the same seed gives the same bytes


def letter_lines(writer: Writer) -> list[str]:
    organisation = writer.organisation() or f"{writer.rng.choice(ORG_PLACES)} Foster Care Network"
    lines = [f"{writer.rng.randint(1, 99)} High Street", writer.rng.choice(ORG_PLACES), "", "Dear Sir or Madam,", ""]
    lines += [f"{organisation} welcomes the opportunity to respond to this consultation.", ""]
    for question in writer.questions:
        statement = _statement_of(writer, question["id"])
        lines += [f"{question['aliases'][0]}:", ""]
        for _, text in writer.answer(statement, headings=False):
            lines += [text, ""]
    lines += ["Yours faithfully,", "", writer.person(), "Chief Executive", organisation]
    return lines


def letter_pdf(writer: Writer) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    style = getSampleStyleSheet()["Normal"]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, invariant=1)
    story = [Paragraph(line.replace("&", "&amp;"), style) for line in letter_lines(writer) if line]
    document.build(story)
    return buffer.getvalue()


def campaign_txt(writer: Writer) -> str:
    text = writer.rng.choice(CAMPAIGN_TEXTS)
    if writer.rng.random() < 0.4:
        text += " " + writer.rng.choice(FILLERS)  # a personal sentence added to the standard text
    return f"Dear Sir or Madam,\n\n{text}\n\nYours faithfully,\n\n{writer.person()}\n"


def export_csv(writer: Writer, rows: int) -> bytes:
    headers = ["Response ID", "Name", "Email", "Organisation", "Respondent type"]
    for question in writer.questions:
        number = question["aliases"][0].split()[-1]
        headers += [f"Q{number}", f"Q{number} comments"]
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(headers)
    for index in range(rows):
        row = [f"R{index + 1:06d}", writer.person(), "someone@example.com", writer.organisation(), writer.rng.choice(RESPONDENT_TYPES)]
        for question in writer.questions:
            comments = [text for _, text in writer.answer(_statement_of(writer, question["id"]), headings=False)]
            row += [writer.rng.choice(question["options"]), "\n\n".join(comments)]
        out.writerow(row)
    return buffer.getvalue().encode("utf-8")


def generate(out_dir: Path, n: int, seed: int = 7) -> dict[str, int]:
    """Write ``n`` responses (plus a few broken files) under ``out_dir``; returns counts by kind."""
    writer = Writer(seed)
    out_dir = Path(out_dir)
    for sub in ("forms", "letters", "export", "broken"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    counts = {
        "form_headings": round(n * SHARE_FORM_HEADINGS),
        "form_plain": round(n * SHARE_FORM_PLAIN),
        "letter_pdf": round(n * SHARE_LETTER_PDF),
        "letter_txt": round(n * SHARE_LETTER_TXT),
        "campaign_txt": round(n * SHARE_CAMPAIGN),
    }
    counts["export_rows"] = max(0, n - sum(counts.values()))
    for index in range(counts["form_headings"]):
        (out_dir / "forms" / f"form_h{index:05d}.docx").write_bytes(form_docx(writer, headings=True))
    for index in range(counts["form_plain"]):
        (out_dir / "forms" / f"form_p{index:05d}.docx").write_bytes(form_docx(writer, headings=False))
    for index in range(counts["letter_pdf"]):
        (out_dir / "letters" / f"letter{index:05d}.pdf").write_bytes(letter_pdf(writer))
    for index in range(counts["letter_txt"]):
        (out_dir / "letters" / f"letter{index:05d}.txt").write_text("\n".join(letter_lines(writer)) + "\n", encoding="utf-8")
    for index in range(counts["campaign_txt"]):
        (out_dir / "letters" / f"campaign{index:05d}.txt").write_text(campaign_txt(writer), encoding="utf-8")
    if counts["export_rows"]:
        (out_dir / "export" / "online_responses.csv").write_bytes(export_csv(writer, counts["export_rows"]))
    broken = max(3, n // BROKEN_EVERY)
    good_docx = form_docx(writer, headings=False)
    for index in range(broken):
        kind = index % 3
        if kind == 0:
            (out_dir / "broken" / f"truncated{index:03d}.docx").write_bytes(good_docx[: len(good_docx) // 3])
        elif kind == 1:
            (out_dir / "broken" / f"no_text{index:03d}.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        else:
            (out_dir / "broken" / f"empty{index:03d}.txt").write_bytes(b"")
    counts["broken_files"] = broken
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=100, help="number of responses")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    counts = generate(args.out_dir, args.n, args.seed)
    print(f"Generate - {args.n} responses in {args.out_dir}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
