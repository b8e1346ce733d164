"""The student schema: every input field declared once.

The form, the serializers, the CSV importers, the preprocessing pipeline and the drift
module all derive from ``FIELDS``; no other module lists columns. Names are the UCI column
names; ranges and values are those documented with UCI data set 320 (Student Performance,
Cortez & Silva 2008).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


class Role(StrEnum):
    ATTRIBUTE = "attribute"  # one of the 30 descriptive attributes, always required
    GRADE = "grade"  # G1, G2: period grades, optional inputs (they choose the track)
    TARGET = "target"  # G3: the final grade, the label


class Group(StrEnum):
    STUDENT = "The student"
    FAMILY = "Family"
    SCHOOL = "School and study"
    LIFE = "Life outside school"
    GRADES = "Grades so far"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str
    help_text: str
    group: Group
    role: Role = Role.ATTRIBUTE
    # Categorical: allowed values (canonical spelling) and their meaning for people.
    choices: tuple[tuple[str, str], ...] = ()
    # Numeric: inclusive bounds and, for coded scales, what each code means.
    min_value: int | None = None
    max_value: int | None = None
    scale: tuple[tuple[int, str], ...] = field(default=())

    @property
    def required(self) -> bool:
        return self.role is Role.ATTRIBUTE

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    @property
    def drift_test(self) -> str:
        """The default two-sample test: KS for numbers (ordinal codes included), chi-square otherwise."""
        return "ks" if self.kind is Kind.NUMERIC else "chi2"

    def describe_allowed(self) -> str:
        if self.kind is Kind.CATEGORICAL:
            return "one of " + ", ".join(self.values)
        return f"a whole number from {self.min_value} to {self.max_value}"


def _yes_no(name: str, label: str, help_text: str, group: Group) -> Field:
    return Field(name, Kind.CATEGORICAL, label, help_text, group, choices=(("yes", "Yes"), ("no", "No")))


def _scale(name: str, label: str, low: str, high: str, group: Group) -> Field:
    codes = ((1, f"1 {low}"), (2, "2"), (3, "3"), (4, "4"), (5, f"5 {high}"))
    return Field(
        name, Kind.NUMERIC, label, f"1 {low} … 5 {high}", group, min_value=1, max_value=5, scale=codes
    )


_EDUCATION = (
    (0, "0 none"),
    (1, "1 primary (4th grade)"),
    (2, "2 5th to 9th grade"),
    (3, "3 secondary"),
    (4, "4 higher education"),
)
_JOBS = (
    ("teacher", "Teacher"),
    ("health", "Health care"),
    ("services", "Civil services (e.g. administrative, police)"),
    ("at_home", "At home"),
    ("other", "Other"),
)

FIELDS: tuple[Field, ...] = (
    # In the UCI files' column order, so exports match the official format.
    Field("school", Kind.CATEGORICAL, "School", "GP Gabriel Pereira or MS Mousinho da Silveira",
          Group.STUDENT, choices=(("GP", "Gabriel Pereira"), ("MS", "Mousinho da Silveira"))),
    Field("sex", Kind.CATEGORICAL, "Sex", "F female or M male", Group.STUDENT,
          choices=(("F", "Female"), ("M", "Male"))),
    Field("age", Kind.NUMERIC, "Age", "Age in years, 15 to 22", Group.STUDENT, min_value=15, max_value=22),
    Field("address", Kind.CATEGORICAL, "Home address", "U urban or R rural", Group.STUDENT,
          choices=(("U", "Urban"), ("R", "Rural"))),
    Field("famsize", Kind.CATEGORICAL, "Family size", "LE3 three or fewer, GT3 more than three",
          Group.FAMILY, choices=(("LE3", "3 or fewer"), ("GT3", "More than 3"))),
    Field("Pstatus", Kind.CATEGORICAL, "Parents' status", "T living together or A apart", Group.FAMILY,
          choices=(("T", "Living together"), ("A", "Apart"))),
    Field("Medu", Kind.NUMERIC, "Mother's education", "0 none … 4 higher education", Group.FAMILY,
          min_value=0, max_value=4, scale=_EDUCATION),
    Field("Fedu", Kind.NUMERIC, "Father's education", "0 none … 4 higher education", Group.FAMILY,
          min_value=0, max_value=4, scale=_EDUCATION),
    Field("Mjob", Kind.CATEGORICAL, "Mother's job", "teacher, health, services, at_home or other",
          Group.FAMILY, choices=_JOBS),
    Field("Fjob", Kind.CATEGORICAL, "Father's job", "teacher, health, services, at_home or other",
          Group.FAMILY, choices=_JOBS),
    Field("reason", Kind.CATEGORICAL, "Reason for choosing the school",
          "home (close to home), reputation, course (preference) or other", Group.SCHOOL,
          choices=(("home", "Close to home"), ("reputation", "Reputation"), ("course", "Course preference"),
                   ("other", "Other"))),
    Field("guardian", Kind.CATEGORICAL, "Guardian", "mother, father or other", Group.FAMILY,
          choices=(("mother", "Mother"), ("father", "Father"), ("other", "Other"))),
    Field("traveltime", Kind.NUMERIC, "Travel time to school",
          "1 under 15 min, 2 15-30 min, 3 30-60 min, 4 over an hour", Group.SCHOOL, min_value=1, max_value=4,
          scale=((1, "1 under 15 min"), (2, "2 15 to 30 min"), (3, "3 30 min to 1 hour"), (4, "4 over 1 hour"))),
    Field("studytime", Kind.NUMERIC, "Weekly study time",
          "1 under 2 h, 2 2-5 h, 3 5-10 h, 4 over 10 h", Group.SCHOOL, min_value=1, max_value=4,
          scale=((1, "1 under 2 hours"), (2, "2 2 to 5 hours"), (3, "3 5 to 10 hours"), (4, "4 over 10 hours"))),
    Field("failures", Kind.NUMERIC, "Past class failures", "Number of past class failures, 0 to 4 (4 = four or more)",
          Group.SCHOOL, min_value=0, max_value=4),
    _yes_no("schoolsup", "Extra educational support", "Does the school give extra support?", Group.SCHOOL),
    _yes_no("famsup", "Family educational support", "Does the family help with schoolwork?", Group.FAMILY),
    _yes_no("paid", "Extra paid classes", "Paid classes in this subject outside school", Group.SCHOOL),
    _yes_no("activities", "Extra-curricular activities", "Clubs, sport, music…", Group.SCHOOL),
    _yes_no("nursery", "Attended nursery school", "Did the student go to nursery school?", Group.SCHOOL),
    _yes_no("higher", "Wants higher education", "Does the student want to go to university?", Group.SCHOOL),
    _yes_no("internet", "Internet at home", "Internet access at home", Group.LIFE),
    _yes_no("romantic", "In a relationship", "In a romantic relationship", Group.LIFE),
    _scale("famrel", "Family relationships", "very bad", "excellent", Group.FAMILY),
    _scale("freetime", "Free time after school", "very low", "very high", Group.LIFE),
    _scale("goout", "Going out with friends", "very low", "very high", Group.LIFE),
    _scale("Dalc", "Workday alcohol use", "very low", "very high", Group.LIFE),
    _scale("Walc", "Weekend alcohol use", "very low", "very high", Group.LIFE),
    _scale("health", "Current health", "very bad", "very good", Group.LIFE),
    Field("absences", Kind.NUMERIC, "School absences", "Number of absences this year, 0 to 93", Group.SCHOOL,
          min_value=0, max_value=93),
    Field("G1", Kind.NUMERIC, "First period grade", "0 to 20; leave empty early in the year", Group.GRADES,
          role=Role.GRADE, min_value=0, max_value=20),
    Field("G2", Kind.NUMERIC, "Second period grade", "0 to 20; needs the first period grade", Group.GRADES,
          role=Role.GRADE, min_value=0, max_value=20),
    Field("G3", Kind.NUMERIC, "Final grade", "0 to 20; pass mark 10", Group.GRADES,
          role=Role.TARGET, min_value=0, max_value=20),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
ATTRIBUTES: tuple[str, ...] = tuple(f.name for f in FIELDS if f.role is Role.ATTRIBUTE)
GRADES: tuple[str, ...] = tuple(f.name for f in FIELDS if f.role is Role.GRADE)
TARGET = "G3"
INPUTS: tuple[str, ...] = ATTRIBUTES + GRADES
NUMERIC: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind is Kind.NUMERIC)
CATEGORICAL: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind is Kind.CATEGORICAL)
PASS_MARK = 10


class Track(StrEnum):
    A = "A"  # attributes + G1 + G2
    B = "B"  # attributes + G1
    C = "C"  # attributes only: an early-year estimate


TRACK_GRADES: dict[Track, tuple[str, ...]] = {Track.A: ("G1", "G2"), Track.B: ("G1",), Track.C: ()}


def track_inputs(track: Track | str) -> tuple[str, ...]:
    """The input columns a track's model sees, in schema order."""
    return ATTRIBUTES + TRACK_GRADES[Track(track)]


def track_for(g1: int | None, g2: int | None) -> Track:
    """The track for the grades a request has (G2 without G1 is rejected by validation)."""
    if g1 is not None and g2 is not None:
        return Track.A
    if g1 is not None:
        return Track.B
    return Track.C
