"""Charts: PNG at 150 dpi, titled and labelled, drawn without a display, equal bytes for equal data."""

import struct

import pandas as pd
import pytest
from report_tables import synthetic_tables

from pipeline.charts import DPI, PALETTE, chart_figures, chart_images
from pipeline.summaries import summary_tables

NAMES = ["respondents_by_type", "asks_by_section_heatmap", "asks_by_respondent_type", "closed_answers", "comments_per_section"]


@pytest.fixture(scope="module")
def summaries(config):
    tables = synthetic_tables(config)
    tables["overrides_log"] = pd.DataFrame(columns=["status"])
    return summary_tables(tables, config)


def png_dpi(data: bytes) -> float:
    """Dots per inch from the PNG's pHYs chunk (pixels per metre)."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    at = data.index(b"pHYs")
    x, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1  # metres
    return x * 0.0254


def test_every_chart_is_a_150_dpi_png(summaries, config):
    images = chart_images(summaries, config)
    assert list(images) == NAMES
    for name, data in images.items():
        assert round(png_dpi(data)) == DPI == 150, name
        width = struct.unpack(">I", data[16:20])[0]
        assert width == 1500, name  # 10 inches at 150 dpi
    assert chart_images(summaries, config) == images  # no timestamp or software stamp in the bytes


def test_charts_have_titles_and_axis_labels(summaries, config):
    figures = chart_figures(summaries, config)
    for name, figure in figures.items():
        axes = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
        assert figure.canvas.__class__.__name__ == "FigureCanvasAgg", name  # headless by construction
        titled = [ax.get_title(loc="left") for ax in axes] + ([figure._suptitle.get_text()] if figure._suptitle else [])
        assert any(titled), name
        assert any(ax.get_xlabel() for ax in axes), name
    heatmap = figures["asks_by_section_heatmap"].axes[0]
    assert [t.get_text() for t in heatmap.get_xticklabels()] == ["practice_leaders.3", "practice_supervisors.2", "*.0"]
    assert heatmap.get_ylabel() == "Ask"
    # Who responded: organisations and individuals stacked, the form's first type at the top.
    who = figures["respondents_by_type"].axes[0]
    assert len(who.containers) == 2 and who.get_yticklabels()[-1].get_text() == "Local authority or representative body"
    # Asks by type: one bar series per respondent type, in palette colours.
    bars = figures["asks_by_respondent_type"].axes[0]
    assert len(bars.containers) == 5
    assert bars.containers[0].patches[0].get_facecolor()[:3] == pytest.approx(tuple(int(PALETTE[0][i : i + 2], 16) / 255 for i in (1, 3, 5)))


def test_empty_tables_give_a_chart_that_says_so(summaries, config):
    empty = {name: frame.iloc[0:0] for name, frame in summaries.items()}
    figures = chart_figures(empty, config)
    assert set(figures) == set(NAMES)
    texts = [t.get_text() for f in figures.values() for ax in f.axes for t in ax.texts]
    assert "No comment made a codebook ask." in texts and "No comments." in texts and "No responses were read." in texts
    assert all(png_dpi(data) for data in chart_images(empty, config).values())
