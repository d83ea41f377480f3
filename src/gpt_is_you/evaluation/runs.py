"""A model's stored evaluations, read back as the typed reports they were made as: the
command line's ``eval --list`` and the evaluation screen both list them from here."""

from __future__ import annotations

from dataclasses import dataclass

from gpt_is_you.evaluation.report import Report
from gpt_is_you.store import evaluations
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.evaluations import StoredEvaluation
from gpt_is_you.store.models import Model


@dataclass(frozen=True)
class Run:
    id: int
    job_id: int | None  # None once its job is deleted
    created_at: str  # ISO 8601, to the second
    report: Report


def read_runs(model: Model) -> list[Run]:
    """Every stored evaluation of ``model``, the latest first. A report that cannot be
    read is a ModelError naming it, not a traceback in either face."""
    with model.db() as db:
        stored = evaluations.read_all(db)
    return [_run(model.name, row) for row in stored]


def _run(name: str, row: StoredEvaluation) -> Run:
    try:
        report = Report.from_json(row.report)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ModelError(
            f"evaluation {row.id} of {name} cannot be read ({type(error).__name__}: {error}): "
            "it is damaged, or was stored by a newer gpt-is-you"
        ) from None
    return Run(row.id, row.job_id, row.created_at, report)
