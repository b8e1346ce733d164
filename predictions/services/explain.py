"""Which inputs pushed one prediction most, in grade points.

For each field where the student differs from a typical student of the training data
(the encoder's ``reference_``: median or most common value), the prediction is made again
with only that field set to the typical value; the difference is that field's effect.
Model-agnostic and honest about what it measures: "had this been typical, the prediction
would be N points lower/higher". Effects of several fields need not add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from predictions import schema
from predictions.champions import champions
from predictions.schema import Track
from predictions.services.predict import ModelUnavailable


@dataclass(frozen=True)
class Contribution:
    field: str
    label: str
    value: Any
    typical: Any
    effect: float  # grade points this value adds to the prediction versus the typical value


@lru_cache(maxsize=8)
def _version_pipeline(track: str, version: int) -> Any:
    from registry import artifacts
    from registry import services as registry

    return artifacts.load(registry.model_version_get(track, version).artifact)


def _pipeline(track: Track, version: int | None) -> Any:
    model = champions.get(track.value)
    if version is None or (model is not None and model.version.version == version):
        if model is None:
            raise ModelUnavailable(track)
        return model.pipeline
    from registry.artifacts import ArtifactError
    from registry.services import RegistryError

    try:
        return _version_pipeline(track.value, version)
    except (ArtifactError, RegistryError) as exc:
        raise ModelUnavailable(track) from exc


def prediction_explain(student: Mapping[str, Any], track: Track, *, version: int | None = None,
                       top: int = 5) -> list[Contribution]:
    """The ``top`` fields with the largest effect on this student's prediction by ``version``
    (default: the current champion), so a reloaded result is explained by the model that made it."""
    pipeline = _pipeline(track, version)
    reference = getattr(pipeline.named_steps["encode"], "reference_", {})
    fields = [name for name in schema.track_inputs(track)
              if name in reference and student.get(name) != reference[name]]
    if not fields:
        return []
    rows = [dict(student)] + [{**student, name: reference[name]} for name in fields]
    predicted = pipeline.predict(rows)
    found = [Contribution(field=name, label=schema.BY_NAME[name].label, value=student.get(name),
                          typical=reference[name], effect=float(predicted[0] - predicted[i + 1]))
             for i, name in enumerate(fields)]
    found = [c for c in found if abs(c.effect) >= 0.005]
    return sorted(found, key=lambda c: abs(c.effect), reverse=True)[:top]
