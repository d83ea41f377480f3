"""Storing a model built from an export (``dataset.prepare``), and naming a new one."""

from __future__ import annotations

from pathlib import Path

from gpt_is_you.dataset.prepare import Prepared
from gpt_is_you.paths import models_dir
from gpt_is_you.store.errors import ModelError
from gpt_is_you.store.models import create_model
from gpt_is_you.store.names import check_name, slugify


def store(name: str, prepared: Prepared) -> Path:
    """Save a prepared model under ``name``; returns its folder."""
    return create_model(
        name,
        chat=prepared.chat,
        source_sha256=prepared.sha256,
        dataset=prepared.dataset,
        tokens=list(prepared.tokens),
        target=prepared.target,
    )


def unused_name(base: str) -> str:
    """A name for a new model: ``base``, or ``base 2``, ``base 3``… the first that no
    model's folder has (the app proposes the persona's first name this way)."""
    base = " ".join(base.split())[:40]  # short enough that a number always fits the slug
    try:
        check_name(base)
    except ModelError:
        base = "model"  # a name of emoji or other script has no slug of its own
    name, number = base, 1
    while (models_dir() / slugify(name)).exists():
        number += 1
        name = f"{base} {number}"
    return name
