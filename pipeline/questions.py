"""Which question a comment answers: analysis is per question (codebook scope, stance default,
themes, the report's parts).

A comment answers the question its answer was given to; a comment of a letter or an e-mail
(whose question is unknown) answers the question of the consulted document it is placed in,
when that document belongs to one question. Otherwise its question stays unknown (``""``).
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config

UNKNOWN_QUESTION = ""
UNKNOWN_QUESTION_TEXT = "Question not known (letters and e-mails)"


def comment_questions(comments: pd.DataFrame, config: Config) -> list[str]:
    """Per row of ``comments`` (``question_id``, and ``statement_id`` when aligned): its question."""
    of_statement = {s.id: s.question for s in config.statements if s.question}
    statements = comments["statement_id"].tolist() if "statement_id" in comments else [None] * len(comments)
    return [
        str(question) if isinstance(question, str) and question else of_statement.get(statement, UNKNOWN_QUESTION) if isinstance(statement, str) else UNKNOWN_QUESTION
        for question, statement in zip(comments["question_id"].tolist(), statements, strict=True)
    ]

