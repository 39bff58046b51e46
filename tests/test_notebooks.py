"""The analyst notebooks run top to bottom, headless, on a fresh analysis of the sample."""

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Each notebook must run in under a minute on the sample.
TIMEOUT = 60


def run_notebook(path: Path, workdir: Path, extra: str = "") -> nbformat.NotebookNode:
    """Execute ``path`` with the venv's own python3 kernel; ``extra`` code runs right after the
    cell tagged ``parameters`` (as papermill injects parameters)."""
    notebook = nbformat.read(path, as_version=4)
    if extra:
        at = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
        notebook.cells.insert(at + 1, nbformat.v4.new_code_cell(extra))
    start = time.perf_counter()
    NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    assert time.perf_counter() - start < TIMEOUT, f"{path.name} took over {TIMEOUT} s"
    return notebook


def test_notebooks_are_numbered_and_committed_without_outputs():
    assert [p.name for p in NOTEBOOKS] == ["01-explore-responses.ipynb", "02-sections-and-asks.ipynb", "03-themes.ipynb", "04-label-asks.ipynb"]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name}: clear its outputs before committing"
        assert any("CONSULT_PROCESSED" in c.source for c in code), f"{path.name} must read the outputs folder"


@pytest.mark.parametrize("path", NOTEBOOKS[:2], ids=lambda p: p.stem)
def test_notebook_runs_headless(path, analysed_sample, tmp_path, monkeypatch):
    monkeypatch.setenv("CONSULT_PROCESSED", str(analysed_sample))
    executed = run_notebook(path, tmp_path)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_themes_notebook_writes_overrides(analysed_sample, tmp_path, monkeypatch, config):
    from pipeline.overrides import read_overrides

    overrides = tmp_path / "overrides.csv"
    monkeypatch.setenv("CONSULT_PROCESSED", str(analysed_sample))
    monkeypatch.setenv("CONSULT_OVERRIDES", str(overrides))
    run_notebook(ROOT / "notebooks" / "03-themes.ipynb", tmp_path, extra='MERGE = {1: 0}\nRELABEL = {0: "Placements and supervision"}')
    written = read_overrides(overrides)
    assert set(written["field"]) == {"topic_id", "topic_label"}
    assert set(written.loc[written["field"] == "topic_label", "value"]) == {"Placements and supervision"}
    assert set(written.loc[written["field"] == "topic_id", "value"]) == {"0"}


def test_label_notebook_marks_corrected_rows_checked(analysed_sample, tmp_path, monkeypatch):
    from pipeline.learn import read_label_file
    from pipeline.outputs import read_tables

    comment_id = read_tables(analysed_sample)["comments"].query("kind == 'comment'")["comment_id"].iloc[0]
    to_label = tmp_path / "to_label.csv"
    to_label.write_text(f"comment_id,question_id,text,predicted,asks,not_asks,checked,why\n{comment_id},q1,t,,,,,advocacy 0.55\n", encoding="utf-8")
    monkeypatch.setenv("CONSULT_PROCESSED", str(analysed_sample))
    monkeypatch.setenv("CONSULT_TO_LABEL", str(to_label))
    run_notebook(ROOT / "notebooks" / "04-label-asks.ipynb", tmp_path, extra=f'CORRECTIONS = {{"{comment_id}": "advocacy;care_plans"}}')
    checked = read_label_file(to_label, checked_only=True)
    assert checked[["comment_id", "asks"]].values.tolist() == [[comment_id, "advocacy;care_plans"]]
