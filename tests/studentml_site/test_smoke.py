from predictions import validation
from tests.builders import make_student


def test_builder_student_is_valid():
    result = validation.validate_record(make_student(), validation.Target.REQUIRED)
    assert result.errors == []
