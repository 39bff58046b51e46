"""Charts of the summary tables, as PNG bytes an analyst pastes into a briefing.

Each chart function takes summary tables (see :mod:`pipeline.summaries`) and returns a
matplotlib ``Figure``; :func:`chart_images` renders them all to PNG at :data:`DPI`. Figures are
built on the Agg canvas directly, never through pyplot, so nothing needs a display and no
global state is touched. Colours: Paul Tol's "muted" qualitative scheme and the "cividis"
colour map, both distinguishable with any common colour-vision deficiency.

==========================  ==============================================================
chart                       from
==========================  ==============================================================
respondents_by_type         ``respondents_by_type``: respondents per type, organisations and
                            individuals
asks_by_section_heatmap     ``asks_by_section``: respondents per ask and section
asks_by_respondent_type     ``asks_by_respondent_type``: respondents per ask, stacked by type
closed_answers              ``closed_questions``: answers per question and respondent type
comments_per_section        ``summary_by_section``: comments per section
==========================  ==============================================================

:data:`SOURCES` names each chart's table, which captions cite.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.text import Text

from pipeline.config import Config
from pipeline.summaries import ALL_RESPONDENTS, NOT_STATED, TOTAL

DPI = 150
WIDTH = 10  # inches: 1,500 pixels at DPI, the width of a briefing page at print resolution
# Paul Tol's "muted" scheme (colour-blind safe), then his pale grey for "not stated" / "not answered".
PALETTE = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
PALE_GREY = "#DDDDDD"
# Beyond the palette, colours repeat with these hatchings so that every class stays distinct.
HATCHES = ["", "//", "..", "xx"]
COLOUR_MAP = "cividis"
LABEL_WIDTH = 45  # characters before a tick label wraps
OPTION_WIDTH = 28  # characters before a closed answer's option wraps in a legend
# Each chart's summary table (the CSV its counts are in), by chart name.
SOURCES = {
    "respondents_by_type": "respondents_by_type",
    "asks_by_section_heatmap": "asks_by_section",
    "asks_by_respondent_type": "asks_by_respondent_type",
    "closed_answers": "closed_questions",
    "comments_per_section": "summary_by_section",
}


def _figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _empty(title: str, message: str) -> Figure:
    figure = _figure(2)
    ax = figure.add_subplot()
    ax.set_title(title, fontsize=13, loc="left")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    ax.set_axis_off()
    return figure


def _wrap(label: str, width: int = LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def _style(index: int, name: str) -> dict:
    if name == NOT_STATED:
        return {"color": PALE_GREY, "hatch": ""}
    return {"color": PALETTE[index % len(PALETTE)], "hatch": HATCHES[(index // len(PALETTE)) % len(HATCHES)]}


def _ask_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The asks of a cross table, without its "Any ask" and base rows."""
    return table[table["ask_id"].astype(str) != ""]


def _stacked(ax, series: list[tuple[str, np.ndarray, dict]]) -> np.ndarray:
    """Horizontal bars, one per row, each ``(label, counts, style)`` of ``series`` stacked left to
    right; returns the rows' totals."""
    left = np.zeros(len(series[0][1]))
    for label, counts, style in series:
        ax.barh(range(len(left)), counts, left=left, label=label, edgecolor="white", linewidth=0.5, **style)
        left = left + counts
    return left


def _respondent_bars(figure: Figure, rows: list[str], series: list[tuple[str, np.ndarray, dict]], title: str, legend: str | None):
    """A chart of respondents per row (the first at the top), ``series`` stacked; returns the axes
    and the rows' totals."""
    ax = figure.add_subplot()
    totals = _stacked(ax, series)
    ax.set_yticks(range(len(rows)), [_wrap(label) for label in rows], fontsize=9)
    ax.set_xlabel("Respondents", fontsize=10)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=13, loc="left")
    ax.legend(title=legend, fontsize=8, title_fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax, totals


def respondents_by_type_bars(respondents_by_type: pd.DataFrame) -> Figure:
    title = "Respondents by type"
    rows = respondents_by_type[respondents_by_type["respondent_type"] != ALL_RESPONDENTS]
    if not rows["respondents"].sum():
        return _empty(title, "No responses were read.")
    rows = rows.iloc[::-1]  # first type at the top
    figure = _figure(max(2.5, 1.4 + 0.32 * len(rows)))
    series = [
        (label, rows[column].to_numpy(dtype=float), _style(index, label))
        for index, (column, label) in enumerate((("organisations", "On behalf of an organisation"), ("individuals", "As an individual")))
    ]
    ax, totals = _respondent_bars(figure, list(rows["respondent_type"]), series, title, None)
    for y, value in enumerate(totals):
        ax.text(value, y, f" {int(value)}", va="center", fontsize=8)
    return figure


def asks_by_section_heatmap(asks_by_section: pd.DataFrame) -> Figure:
    title = "Respondents raising each ask, by section"
    asks = _ask_rows(asks_by_section)
    sections = [c for c in asks_by_section.columns if c not in ("ask_id", "ask_label", "total")]
    if asks.empty or not sections:
        return _empty(title, "No comments were placed in a section with an ask.")
    values = asks[sections].to_numpy(dtype=float)
    figure = _figure(max(3.5, 1.6 + 0.38 * len(asks)))
    ax = figure.add_subplot()
    # Empty cells stay white, so the eye goes to where asks were made.
    colours = matplotlib.colormaps[COLOUR_MAP].with_extremes(bad="white")
    image = ax.imshow(np.ma.masked_equal(values, 0), cmap=colours, aspect="auto", vmin=0, vmax=max(values.max(), 1))
    ax.set_xticks(range(len(sections)), sections, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(asks)), [_wrap(label) for label in asks["ask_label"]], fontsize=9)
    threshold = values.max() * 0.6 if values.size else 0
    for (i, j), value in np.ndenumerate(values):
        if value:
            ax.text(j, i, f"{int(value)}", ha="center", va="center", fontsize=8, color="black" if value > threshold else "white")
    ax.set_xlabel("Section (statement.section; 0 = the statement as a whole)", fontsize=10)
    ax.set_ylabel("Ask", fontsize=10)
    ax.set_title(title, fontsize=13, loc="left")
    bar = figure.colorbar(image, ax=ax, label="Respondents", shrink=0.8)
    bar.ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xticks(np.arange(len(sections) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(asks) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#EEEEEE", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    return figure


def asks_by_respondent_type_bars(asks_by_respondent_type: pd.DataFrame) -> Figure:
    title = "Respondents raising each ask, by respondent type"
    asks = _ask_rows(asks_by_respondent_type)
    types = [c for c in asks_by_respondent_type.columns if c not in ("ask_id", "ask_label", "total")]
    if asks.empty or not types or not asks["total"].sum():
        return _empty(title, "No comment made a codebook ask.")
    asks = asks.iloc[::-1]  # first ask at the top
    figure = _figure(max(3.5, 2.2 + 0.36 * len(asks) + 0.18 * len(types)))
    series = [(_wrap(name, 40), asks[name].to_numpy(dtype=float), _style(index, name)) for index, name in enumerate(types)]
    _respondent_bars(figure, list(asks["ask_label"]), series, title, "Respondent type")
    return figure


def closed_answers_bars(closed_questions: pd.DataFrame, config: Config) -> Figure:
    title = "Answers to the closed questions, by respondent type"
    options_of = {q.id: q.options for q in config.questions if q.options}
    questions = [q for q in dict.fromkeys(closed_questions["question_id"]) if q in options_of]
    if not questions:
        return _empty(title, "The consultation has no closed questions.")
    # The configured questions only: closed export columns no question names are in the CSV.
    closed_questions = closed_questions[closed_questions["question_id"].isin(questions)]
    n_rows = int(closed_questions.groupby("question_id").size().max())
    figure = _figure(1.4 + len(questions) * (0.8 + 0.32 * n_rows))
    axes = figure.subplots(len(questions), 1, squeeze=False, sharex=True)[:, 0]
    for ax, question in zip(axes, questions):
        rows = closed_questions[closed_questions["question_id"] == question].iloc[::-1]
        _stacked(ax, [
            (
                "Not answered" if answer == "not_answered" else _wrap(answer, OPTION_WIDTH),
                rows[answer].to_numpy(dtype=float) if answer in rows else np.zeros(len(rows)),
                {"color": PALE_GREY, "hatch": ""} if answer == "not_answered" else _style(index, answer),
            )
            for index, answer in enumerate([*options_of[question], "not_answered"])
        ])
        ax.set_yticks(range(len(rows)), [_wrap(label) for label in rows["respondent_type"]], fontsize=8)
        # The overall bar is the one to read first: set it apart from the breakdown.
        ax.get_yticklabels()[-1].set_fontweight("bold")
        text = next((q.text for q in config.questions if q.id == question), "")
        ax.set_title(_wrap(f"{question}: {text}", 90), fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        # Each question has its own options: each its own legend, long options wrapped.
        ax.legend(title="Answer", fontsize=8, title_fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes[-1].set_xlabel("Respondents", fontsize=10)
    axes[-1].xaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(title, fontsize=13, x=0.01, ha="left")
    return figure


def comments_per_section_bars(summary_by_section: pd.DataFrame) -> Figure:
    title = "Comments per section"
    rows = summary_by_section[summary_by_section["section_title"] != TOTAL]
    rows = rows[rows["section"].astype(str) != ""]
    if rows.empty or not rows["comments"].sum():
        return _empty(title, "No comments.")
    rows = rows.iloc[::-1]
    statements = list(dict.fromkeys(rows["statement_id"].iloc[::-1]))
    figure = _figure(max(3.5, 1.4 + 0.3 * len(rows)))
    ax = figure.add_subplot()
    colours = [PALETTE[statements.index(s) % len(PALETTE)] for s in rows["statement_id"]]
    ax.barh(range(len(rows)), rows["comments"].to_numpy(dtype=float), color=colours)
    for y, value in enumerate(rows["comments"]):
        ax.text(value, y, f" {int(value)}", va="center", fontsize=8)
    labels = [f"{key}  {title_}" for key, title_ in zip(rows["section"], rows["section_title"])]
    ax.set_yticks(range(len(rows)), [_wrap(label, 60) for label in labels], fontsize=8)
    ax.set_xlabel("Comments", fontsize=10)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, fontsize=13, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def chart_figures(summaries: dict[str, pd.DataFrame], config: Config) -> dict[str, Figure]:
    """Every chart, by name (the PNG's name without ``.png``)."""
    return {
        "respondents_by_type": respondents_by_type_bars(summaries[SOURCES["respondents_by_type"]]),
        "asks_by_section_heatmap": asks_by_section_heatmap(summaries[SOURCES["asks_by_section_heatmap"]]),
        "asks_by_respondent_type": asks_by_respondent_type_bars(summaries[SOURCES["asks_by_respondent_type"]]),
        "closed_answers": closed_answers_bars(summaries[SOURCES["closed_answers"]], config),
        "comments_per_section": comments_per_section_bars(summaries[SOURCES["comments_per_section"]]),
    }


def figure_text(figure: Figure) -> str:
    """Every text the figure draws (titles, axis and tick labels, legend, annotations), one per line."""
    texts = [t.get_text() for t in figure.findobj(Text)]
    return "\n".join(t for t in texts if t.strip())


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG at :data:`DPI`, without a software stamp, so equal charts are equal bytes.

    Its drawn text goes into the PNG's "Description" text chunk: screen readers and the privacy
    audit (:mod:`pipeline.audit`) read the words a raster image shows from there.
    """
    buffer = io.BytesIO()
    figure.canvas.draw()  # the tick labels exist only once drawn
    # What print_png does after drawing the figure again: encode the pixels already drawn.
    imsave(buffer, figure.canvas.buffer_rgba(), format="png", origin="upper", dpi=figure.dpi,
           metadata={"Software": None, "Description": figure_text(figure)})
    return buffer.getvalue()


def chart_images(summaries: dict[str, pd.DataFrame], config: Config) -> dict[str, bytes]:
    """Every chart as PNG bytes, by name. Pure: writing them is the caller's job."""
    return {name: png_bytes(figure) for name, figure in chart_figures(summaries, config).items()}
