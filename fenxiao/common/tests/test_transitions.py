from enum import StrEnum

import pytest
from django.db import models

from fenxiao.common.errors import DomainError
from fenxiao.common.transitions import StateMachine


class Colour(models.TextChoices):
    RED = "red", "红"
    GREEN = "green", "绿"


class PaintCode(StrEnum):
    INVALID_TRANSITION = "invalid_transition"


class PaintError(DomainError):
    codes = PaintCode


def test_a_machine_names_its_apps_code():
    with pytest.raises(TypeError):
        StateMachine(table={}, labels=Colour, error=PaintError)  # type: ignore[call-arg]


def test_a_move_outside_the_table_is_refused_with_the_apps_code():
    machine = StateMachine(table={"red": {"green"}}, labels=Colour, error=PaintError, code=PaintCode.INVALID_TRANSITION)
    machine.check("red", "green")
    with pytest.raises(PaintError) as refused:
        machine.check("green", "red")
    assert refused.value.code == PaintCode.INVALID_TRANSITION
    assert refused.value.status == 409
    assert refused.value.detail == {"from": "green", "to": "red"}
    assert "绿" in refused.value.message and "红" in refused.value.message
