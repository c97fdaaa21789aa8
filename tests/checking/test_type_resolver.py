"""The static type resolver: dataclasses, TypedDicts and pydantic models read from source."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prompt_tool.analysis.typeinfo import Kind
from prompt_tool.checking.type_resolver import TypeResolutionError, TypeResolver

MODELS = '''
"""Models of a project that renders its own templates."""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NotRequired, Optional, TypedDict

from pydantic import BaseModel, Field

from .people import Person

Labels = list[str]


@dataclass(frozen=True)
class Issue:
    """An issue to triage."""

    title: str
    """The one-line title."""
    number: int  # The issue number on the tracker.
    #: Who opened it.
    author: Person
    labels: Labels = field(default_factory=list, metadata={"doc": "Labels, in order."})
    assignee: Optional[Person] = None
    closed_by: Person | None = None
    comments: list["Comment"] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    state: Literal["open", "closed"] = "open"
    counter: ClassVar[int] = 0

    @property
    def is_open(self) -> bool:
        """Whether the issue is still open."""
        return self.state == "open"

    def summary(self) -> str:
        """Title and number."""
        return f"{self.number} {self.title}"

    def _private(self) -> None:
        pass


@dataclasses.dataclass
class Comment:
    _: dataclasses.KW_ONLY
    body: str
    token: dataclasses.InitVar[str] = ""
    replies: typing.List[Comment]
    parent: Comment | None = None


class Thread(TypedDict, total=False):
    subject: str
    issue: Issue


class Review(TypedDict):
    verdict: str
    note: NotRequired[str]


class Release(BaseModel):
    model_config: ClassVar[dict[str, Any]] = {}
    version: str = Field(description="The version being released.")
    issues: list[Issue]


class Patch(Release):
    diff: str
'''

PEOPLE = """
from dataclasses import dataclass

@dataclass
class Person:
    login: str
    email: "str | None" = None
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "myapp"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(textwrap.dedent(MODELS))
    (package / "people.py").write_text(textwrap.dedent(PEOPLE))
    return tmp_path


@pytest.fixture
def resolver(project: Path) -> TypeResolver:
    return TypeResolver([project, project / "src"], modules=["myapp.models"])


def test_dataclass_fields_types_and_docs(resolver: TypeResolver) -> None:
    issue = resolver.resolve("myapp.models:Issue")
    assert issue.kind is Kind.OBJECT
    assert issue.doc == "An issue to triage."
    assert set(issue.fields) == {
        "title",
        "number",
        "author",
        "labels",
        "assignee",
        "closed_by",
        "comments",
        "extra",
        "state",
        "is_open",
        "summary",
    }
    fields = issue.fields
    assert fields["title"].type.kind is Kind.STR and fields["title"].doc == "The one-line title."
    assert fields["number"].type.kind is Kind.INT
    assert fields["number"].doc == "The issue number on the tracker."
    assert fields["author"].doc == "Who opened it."
    assert fields["labels"].type.kind is Kind.LIST
    assert fields["labels"].type.element is not None
    assert fields["labels"].type.element.kind is Kind.STR
    assert fields["labels"].doc == "Labels, in order."
    assert fields["extra"].type.kind is Kind.DICT
    assert fields["state"].type.kind is Kind.STR
    assert fields["is_open"].type.kind is Kind.BOOL
    assert fields["is_open"].doc == "Whether the issue is still open."
    assert fields["summary"].doc == "Title and number."


@pytest.mark.parametrize(
    ("field_name", "is_optional"),
    [
        pytest.param("assignee", True, id="Optional[X]"),
        pytest.param("closed_by", True, id="X | None"),
        pytest.param("author", False, id="plain"),
    ],
)
def test_optional_fields(resolver: TypeResolver, field_name: str, is_optional: bool) -> None:
    field = resolver.resolve("myapp.models:Issue").fields[field_name]
    assert field.is_optional is is_optional
    assert field.type.name == "Person"
    assert set(field.type.fields) == {"login", "email"}


def test_cross_module_relative_import_and_forward_string(resolver: TypeResolver) -> None:
    person = resolver.resolve("myapp.models:Issue").fields["author"].type
    assert person.fields["email"].is_optional
    assert person.fields["email"].type.kind is Kind.STR


def test_recursive_types_share_one_typeinfo(resolver: TypeResolver) -> None:
    comment = resolver.resolve("myapp.models:Comment")
    assert set(comment.fields) == {"body", "replies", "parent"}
    replies = comment.fields["replies"].type
    assert replies.kind is Kind.LIST
    assert replies.element is comment
    assert comment.fields["parent"].type is comment
    issue = resolver.resolve("myapp.models:Issue")
    assert issue.fields["comments"].type.element is comment


def test_typeddict_total_false_and_not_required(resolver: TypeResolver) -> None:
    thread = resolver.resolve("myapp.models:Thread")
    assert thread.kind is Kind.OBJECT
    assert all(field.is_optional for field in thread.fields.values())
    assert thread.fields["issue"].type.name == "Issue"
    review = resolver.resolve("myapp.models:Review")
    assert not review.fields["verdict"].is_optional
    assert review.fields["note"].is_optional


def test_pydantic_model_fields_inheritance_and_description(resolver: TypeResolver) -> None:
    patch = resolver.resolve("myapp.models:Patch")
    assert set(patch.fields) == {"version", "issues", "diff"}
    assert patch.fields["version"].doc == "The version being released."
    issues = patch.fields["issues"].type
    assert issues.element is not None and issues.element.name == "Issue"


@pytest.mark.parametrize(
    ("expression", "kind", "element_kind"),
    [
        pytest.param("str", Kind.STR, None, id="str"),
        pytest.param("int", Kind.INT, None, id="int"),
        pytest.param("list[str]", Kind.LIST, Kind.STR, id="list-str"),
        pytest.param("dict[str, Any]", Kind.DICT, Kind.ANY, id="dict-any"),
        pytest.param("Optional[int]", Kind.INT, None, id="optional"),
        pytest.param("float | None", Kind.FLOAT, None, id="pipe-none"),
        pytest.param("list[myapp.models:Issue]", Kind.LIST, Kind.OBJECT, id="list-of-ref"),
        pytest.param("Issue", Kind.OBJECT, None, id="bare-name-from-modules"),
        pytest.param("typing.Sequence[Comment]", Kind.LIST, Kind.OBJECT, id="typing-prefix"),
    ],
)
def test_expressions(
    resolver: TypeResolver, expression: str, kind: Kind, element_kind: Kind | None
) -> None:
    resolved = resolver.resolve(expression)
    assert resolved.kind is kind
    if element_kind is not None:
        assert resolved.element is not None and resolved.element.kind is element_kind


def test_resolve_field_marks_optional(resolver: TypeResolver) -> None:
    assert resolver.resolve_field("x", "int | None").is_optional
    assert not resolver.resolve_field("x", "int").is_optional


def test_contract_from_class(resolver: TypeResolver) -> None:
    contract = resolver.contract("issue", "myapp.models:Thread")
    assert set(contract.variables) == {"subject", "issue"}


def test_nesting_too_deep_is_a_resolution_error(resolver: TypeResolver) -> None:
    with pytest.raises(TypeResolutionError):
        resolver.resolve("list[" * 5000 + "str" + "]" * 5000)


def test_enums_are_scalars_without_fields(project: Path) -> None:
    (project / "src" / "myapp" / "states.py").write_text(
        "from enum import Enum, IntEnum, StrEnum\n"
        "class Colour(StrEnum):\n    RED = 'red'\n"
        "class Level(IntEnum):\n    LOW = 1\n"
        "class Shape(Enum):\n    ROUND = 1\n"
    )
    resolver = TypeResolver([project / "src"])
    kinds = [resolver.resolve(f"myapp.states:{name}").kind for name in ("Colour", "Level", "Shape")]
    assert kinds == [Kind.STR, Kind.INT, Kind.ANY]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("myapp.nothing:Issue", "module 'myapp.nothing' not found", id="no-module"),
        pytest.param("myapp.models:Isue", "defines no 'Isue'", id="no-class"),
        pytest.param("Isue", "unknown type 'Isue'", id="no-bare-name"),
        pytest.param("list[", "invalid type expression", id="syntax"),
    ],
)
def test_unresolvable_expressions_raise(
    resolver: TypeResolver, expression: str, message: str
) -> None:
    with pytest.raises(TypeResolutionError, match=message.replace("[", r"\[")):
        resolver.resolve(expression)


def test_contract_needs_a_class(resolver: TypeResolver) -> None:
    with pytest.raises(TypeResolutionError, match="must be a class with fields"):
        resolver.contract("x", "list[str]")


def test_static_reading_never_imports(project: Path) -> None:
    (project / "src" / "myapp" / "explosive.py").write_text(
        "raise SystemExit('imported!')\nfrom dataclasses import dataclass\n"
        "@dataclass\nclass Boom:\n    fuse: int\n"
    )
    resolver = TypeResolver([project / "src"])
    assert set(resolver.resolve("myapp.explosive:Boom").fields) == {"fuse"}
    assert "myapp.explosive" not in sys.modules


def test_unknown_base_makes_the_type_open(project: Path) -> None:
    (project / "src" / "myapp" / "open.py").write_text(
        "from thirdparty import Base\nclass Child(Base):\n    name: str\n"
    )
    child = TypeResolver([project / "src"]).resolve("myapp.open:Child")
    assert child.kind is Kind.ANY
    assert set(child.fields) == {"name"}


def test_import_mode_reads_classes_that_static_reading_cannot_see(tmp_path: Path) -> None:
    module = tmp_path / "dynamic_models_for_test.py"
    module.write_text(
        "from dataclasses import dataclass, field, make_dataclass\n"
        "Inner = make_dataclass('Inner', [('size', int)])\n"
        "@dataclass\nclass Wrapper:\n"
        "    inner: Inner\n"
        "    name: str = field(default='', metadata={'doc': 'The name.'})\n"
    )
    with pytest.raises(TypeResolutionError):
        TypeResolver([tmp_path]).resolve("dynamic_models_for_test:Inner")
    resolver = TypeResolver([tmp_path], allow_import=True)
    try:
        inner = resolver.resolve("dynamic_models_for_test:Inner")
        wrapper = resolver.resolve("dynamic_models_for_test:Wrapper")
    finally:
        sys.modules.pop("dynamic_models_for_test", None)
    assert inner.kind is Kind.OBJECT and set(inner.fields) == {"size"}
    assert set(wrapper.fields) == {"inner", "name"}


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expression=st.text(max_size=40))
def test_any_expression_resolves_or_raises_the_domain_error(
    resolver: TypeResolver, expression: str
) -> None:
    try:
        resolved = resolver.resolve(expression)
    except TypeResolutionError as error:
        assert str(error)
    else:
        assert isinstance(resolved.kind, Kind)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=200))
def test_any_module_source_resolves_or_raises_the_domain_error(tmp_path: Path, body: str) -> None:
    module = tmp_path / "fuzzed_module.py"
    module.write_text("class Target:\n    name: str\n" + body, encoding="utf-8", errors="replace")
    try:
        TypeResolver([tmp_path]).resolve("fuzzed_module:Target")
    except TypeResolutionError as error:
        assert str(error)
