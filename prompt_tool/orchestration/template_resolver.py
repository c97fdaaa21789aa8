"""Which template version a session uses: slot precedence, labels, pins, and the reasons why.

For (project, feature type, label) the slots are tried in order: project + feature type →
project → global + feature type → global → built-in default. The first slot holding a
template for the phase wins; inside it the version `label` points at, else the newest.

Includes resolve through the same slots: the first slot holding the included name wins, as
for a phase. Inside it, `name@3` picks version 3 and `name@staging` the version the label
points at (a pin the slot lacks is refused at publish time, PT015); a bare include follows
its includer's label (the requested label for a phase template, `staging` below an
`…@staging` include; below a version pin, the requested label), else the newest.

Cost is a constant number of statements whatever the number of templates and versions:
one for the project, one for every labelled version in the candidate scopes, one for the
newest version of every template there; includes are then resolved in Python. Only version
pins (`@3`) that the first fetch did not cover add a statement, one per level of nesting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, true
from sqlalchemy.orm import Session

from prompt_tool.analysis.facts import read_template_facts
from prompt_tool.analysis.parsing import split_pin
from prompt_tool.core.errors import ConflictError, NotFoundError
from prompt_tool.db.models import (
    ORCHESTRATION_CATEGORY,
    RUN_PHASES,
    Project,
    Prompt,
    PromptLabel,
    PromptLabelEvent,
)
from prompt_tool.orchestration.defaults import read_default_templates
from prompt_tool.orchestration.template_files import (
    TemplateSpec,
    content_hash,
    is_legacy_name,
)

DEFAULT_LABEL = "production"
BUILTIN = "built-in"
ScopeKey = tuple[int | None, str | None]


def is_version_pin(pin: str | None) -> bool:
    return pin is not None and pin.isdigit()


@dataclass(frozen=True)
class Slot:
    """One place a template can come from; `scope` is None for the built-in defaults."""

    title: str
    scope: ScopeKey | None
    skipped_because: str | None = None


@dataclass(frozen=True)
class SlotVerdict:
    """What one slot had for a phase, and why it did or did not win."""

    slot: Slot
    outcome: str


@dataclass(frozen=True)
class PhaseResolution:
    """The version chosen for one phase, where from, and the verdict of every slot."""

    phase: str
    prompt: Prompt | None
    slot: Slot | None
    chosen_by: str
    verdicts: tuple[SlotVerdict, ...]


@dataclass
class Resolution:
    """Everything a session needs: the phase templates and every include they reach."""

    project: str | None
    feature_type: str | None
    label: str
    phases: dict[str, PhaseResolution]
    includes: dict[str, Prompt] = field(default_factory=dict)
    missing_includes: list[str] = field(default_factory=list)

    def templates(self) -> dict[str, Prompt]:
        """Every resolved version by qualified name `name@label-or-version`."""
        result = {
            f"{item.prompt.name}@{self.label}": item.prompt
            for item in self.phases.values()
            if item.prompt is not None
        }
        result.update(self.includes)
        return result

    def phase_prompt(self, phase: str) -> Prompt:
        found = self.phases[phase].prompt
        if found is None:
            raise NotFoundError(
                f"no {phase} template for project {self.project or '(global)'}"
                f"{f', feature type {self.feature_type}' if self.feature_type else ''}"
                " and no built-in default"
            )
        return found


@dataclass
class _Entry:
    """What one slot holds of one template: its newest version, labelled and pinned ones."""

    newest: Prompt
    labels: dict[str, Prompt] = field(default_factory=dict)
    versions: dict[int, Prompt] = field(default_factory=dict)

    def version(self, number: int) -> Prompt | None:
        if self.newest.version == number:
            return self.newest
        known = self.versions.get(number)
        return known or next((p for p in self.labels.values() if p.version == number), None)


def candidate_slots(project: Project | None, feature_type: str | None) -> list[Slot]:
    """The five slots in precedence order, with the reason a slot does not apply."""
    no_project = None if project else "no --project given"
    no_feature = None if feature_type else "no --feature-type given"
    project_id = project.id if project else None
    return [
        Slot("project + feature type", (project_id, feature_type), no_project or no_feature),
        Slot("project", (project_id, None), no_project),
        Slot("global + feature type", (None, feature_type), no_feature),
        Slot("global", (None, None)),
        Slot(BUILTIN, None),
    ]


def scope_filter(
    scopes: Iterable[ScopeKey], model: type[Prompt] | type[PromptLabel] | type[PromptLabelEvent]
) -> ColumnElement[bool]:
    clauses = [
        and_(
            model.project_id.is_(None) if project_id is None else model.project_id == project_id,
            model.feature_type.is_(None) if ft is None else model.feature_type == ft,
        )
        for project_id, ft in scopes
    ]
    return or_(*clauses) if clauses else ~true()


def _candidate_scopes(model: type[Prompt] | type[PromptLabel]) -> ColumnElement[bool]:
    """The four scopes of (:project_id, :ft) as one predicate; a NULL parameter matches nothing,
    so without a project (or feature type) only the NULL scopes remain, as `candidate_slots`
    says. One fixed statement, built once, keeps resolution free of SQL construction cost."""
    return and_(
        or_(model.project_id == bindparam("project_id"), model.project_id.is_(None)),
        or_(model.feature_type == bindparam("ft"), model.feature_type.is_(None)),
    )


def _newest_statement() -> Select[Prompt]:
    newest = (
        select(
            Prompt.project_id,
            Prompt.feature_type,
            Prompt.name,
            func.max(Prompt.version).label("version"),
        )
        .where(
            Prompt.category == ORCHESTRATION_CATEGORY,
            Prompt.is_template.is_(True),
            _candidate_scopes(Prompt),
        )
        .group_by(Prompt.project_id, Prompt.feature_type, Prompt.name)
        .subquery()
    )
    return select(Prompt).join(
        newest,
        and_(
            Prompt.name == newest.c.name,
            Prompt.version == newest.c.version,
            Prompt.project_id.is_not_distinct_from(newest.c.project_id),
            Prompt.feature_type.is_not_distinct_from(newest.c.feature_type),
        ),
    )


_NEWEST_STATEMENT = _newest_statement()
_LABELLED_STATEMENT = (
    select(PromptLabel.label, Prompt)
    .join(Prompt, PromptLabel.prompt_id == Prompt.id)
    .where(_candidate_scopes(PromptLabel))
)


def builtin_prompt(spec: TemplateSpec) -> Prompt:
    """A transient row for a built-in default: version 0, never added to a session."""
    facts = read_template_facts(spec.content)
    return Prompt(
        id=None,
        project_id=None,
        feature_type=None,
        name=spec.name,
        version=0,
        content=spec.content,
        content_hash=content_hash(spec.content),
        is_template=True,
        category=ORCHESTRATION_CATEGORY,
        phase=spec.phase,
        referenced_templates=list(facts.references),
        variables_used=list(facts.variables),
        message="built-in default",
        created_by="prompt-tool",
        source_path=spec.source_path,
    )


class ScopeCatalog:
    """The candidate versions of every template visible from one (project, feature type)."""

    def __init__(
        self,
        session: Session,
        project: Project | None,
        feature_type: str | None,
        defaults: Sequence[TemplateSpec] | None = None,
    ) -> None:
        self.session = session
        self.project = project
        self.feature_type = feature_type
        self.slots = candidate_slots(project, feature_type)
        self.scopes = [s.scope for s in self.slots if s.scope is not None and not s.skipped_because]
        self.entries: dict[ScopeKey, dict[str, _Entry]] = {scope: {} for scope in self.scopes}
        specs = read_default_templates() if defaults is None else defaults
        self.builtins = {spec.name: builtin_prompt(spec) for spec in specs}
        self._fetched: set[tuple[str, int]] = set()
        self._load()

    def _load(self) -> None:
        parameters = {
            "project_id": self.project.id if self.project else None,
            "ft": self.feature_type,
        }
        for prompt in self.session.scalars(_NEWEST_STATEMENT, parameters):
            self.entries[(prompt.project_id, prompt.feature_type)][prompt.name] = _Entry(prompt)
        for label, prompt in self.session.execute(_LABELLED_STATEMENT, parameters):
            entry = self.entries[(prompt.project_id, prompt.feature_type)].get(prompt.name)
            if entry is not None:
                entry.labels[label] = prompt

    def load_versions(self, wanted: Iterable[tuple[str, int]]) -> None:
        """Fetch pinned versions not yet known, all in one statement."""
        missing = set()
        for name, version in wanted:
            won = self.winning(name)
            if won is not None and won[0].version(version) is None:
                missing.add((name, version))
        missing -= self._fetched
        if not missing:
            return
        self._fetched |= missing
        rows = self.session.scalars(
            select(Prompt).where(
                Prompt.category == ORCHESTRATION_CATEGORY,
                scope_filter(self.scopes, Prompt),
                or_(*(and_(Prompt.name == n, Prompt.version == v) for n, v in missing)),
            )
        )
        for prompt in rows:
            entry = self.entries[(prompt.project_id, prompt.feature_type)].get(prompt.name)
            if entry is not None:
                entry.versions[prompt.version] = prompt

    def winning(self, name: str) -> tuple[_Entry, Slot] | None:
        """The first slot, in precedence order, that holds a template called `name`."""
        for slot in self.slots:
            if slot.scope is None or slot.skipped_because:
                continue
            entry = self.entries[slot.scope].get(name)
            if entry is not None:
                return entry, slot
        return None

    def lookup(self, name: str, pin: str | None, label: str) -> tuple[Prompt | None, Slot | None]:
        """The version `name` resolves to, and its slot.

        The slot is chosen as for a phase (the first holding `name`); inside it the pin picks
        the version or label, a bare name takes `label`, and a label the slot lacks falls
        back to the newest.
        """
        won = self.winning(name)
        if won is None:
            if name in self.builtins and not is_version_pin(pin):
                return self.builtins[name], self.slots[-1]
            return None, None
        entry, slot = won
        if is_version_pin(pin):
            found = entry.version(int(pin or 0))
            return (found, slot) if found is not None else (None, None)
        return entry.labels.get(pin or label, entry.newest), slot

    def names(self) -> set[str]:
        found = set(self.builtins)
        for entries in self.entries.values():
            found.update(entries)
        return found

    def phase_names(self, scope: ScopeKey | None, phase: str) -> list[str]:
        if scope is None:
            pool: Mapping[str, Prompt] = self.builtins
        else:
            pool = {name: entry.newest for name, entry in self.entries[scope].items()}
        return sorted(
            name
            for name, prompt in pool.items()
            if prompt.phase == phase and not is_legacy_name(name)
        )

    def has_pin(self, name: str, pin: str) -> bool:
        """Whether the slot `name` resolves to holds version or label `pin`."""
        if is_version_pin(pin):
            self.load_versions([(name, int(pin))])
        won = self.winning(name)
        if won is None:
            return False
        entry, _slot = won
        return entry.version(int(pin)) is not None if is_version_pin(pin) else pin in entry.labels


class TemplateResolver:
    """Resolves the three phase templates and their includes for one session's scope."""

    def __init__(self, session: Session, defaults: Sequence[TemplateSpec] | None = None) -> None:
        self.session = session
        self.defaults = defaults

    def catalog(self, project: str | None, feature_type: str | None) -> ScopeCatalog:
        row = None
        if project is not None:
            row = self.session.scalars(select(Project).where(Project.name == project)).first()
            if row is None:
                raise NotFoundError(f"project {project!r} does not exist")
        return ScopeCatalog(self.session, row, feature_type, self.defaults)

    def resolve(
        self,
        project: str | None,
        feature_type: str | None = None,
        label: str = DEFAULT_LABEL,
        overrides: Mapping[str, Prompt] | None = None,
        overridden_by: str = "override",
    ) -> Resolution:
        """The phase templates and their includes; `overrides` (an experiment variant's
        strategy) replace the slots' choice for the phases they name."""
        catalog = self.catalog(project, feature_type)
        phases = {phase: self._phase(catalog, phase, label) for phase in RUN_PHASES}
        for phase, prompt in (overrides or {}).items():
            phases[phase] = _overridden(phases[phase], prompt, overridden_by)
        resolution = Resolution(project, feature_type, label, phases)
        roots = [(item.prompt, label) for item in phases.values() if item.prompt is not None]
        self._includes(catalog, resolution, roots)
        return resolution

    def _phase(self, catalog: ScopeCatalog, phase: str, label: str) -> PhaseResolution:
        verdicts: list[SlotVerdict] = []
        winner: tuple[Prompt, Slot, str] | None = None
        for slot in catalog.slots:
            if slot.skipped_because:
                verdicts.append(SlotVerdict(slot, f"not consulted: {slot.skipped_because}"))
                continue
            names = catalog.phase_names(slot.scope, phase)
            if not names:
                verdicts.append(SlotVerdict(slot, f"no {phase} template here"))
                continue
            if len(names) > 1:
                raise ConflictError(
                    f"the {slot.title} slot holds {len(names)} {phase} templates"
                    f" ({', '.join(names)}); a scope holds one per phase:"
                    " run `prompt-tool db upgrade` (migration 0005 archives the extras)"
                )
            prompt, chosen_by = self._choose(catalog, slot, names[0], label)
            if winner is not None:
                verdicts.append(
                    SlotVerdict(slot, f"has {_describe(prompt)}, shadowed by {winner[1].title}")
                )
                continue
            winner = (prompt, slot, chosen_by)
            verdicts.append(SlotVerdict(slot, f"won: {_describe(prompt)} ({chosen_by})"))
        if winner is None:
            return PhaseResolution(phase, None, None, "nothing found", tuple(verdicts))
        return PhaseResolution(phase, winner[0], winner[1], winner[2], tuple(verdicts))

    def _choose(
        self, catalog: ScopeCatalog, slot: Slot, name: str, label: str
    ) -> tuple[Prompt, str]:
        if slot.scope is None:
            return catalog.builtins[name], "built-in file"
        entry = catalog.entries[slot.scope][name]
        if label in entry.labels:
            return entry.labels[label], f"label {label}"
        return entry.newest, f"newest; no label {label} in this slot"

    def _includes(
        self, catalog: ScopeCatalog, resolution: Resolution, roots: list[tuple[Prompt, str]]
    ) -> None:
        frontier = roots
        seen: set[str] = set()
        while frontier:
            pins = [
                (base, int(pin or 0))
                for prompt, _label in frontier
                for base, pin in map(split_pin, prompt.referenced_templates)
                if is_version_pin(pin)
            ]
            catalog.load_versions(pins)
            following: list[tuple[Prompt, str]] = []
            for prompt, context_label in frontier:
                for reference in prompt.referenced_templates:
                    base, pin = split_pin(reference)
                    key = f"{base}@{pin or context_label}"
                    if key in seen:
                        continue
                    seen.add(key)
                    found, _slot = catalog.lookup(base, pin, context_label)
                    if found is None:
                        resolution.missing_includes.append(key)
                        continue
                    resolution.includes[key] = found
                    next_label = resolution.label if is_version_pin(pin) else pin or context_label
                    following.append((found, next_label))
            frontier = following


def _overridden(found: PhaseResolution, prompt: Prompt, reason: str) -> PhaseResolution:
    slot = Slot(reason, (prompt.project_id, prompt.feature_type))
    verdict = SlotVerdict(slot, f"won: {_describe(prompt)}, replacing the choice above")
    return PhaseResolution(found.phase, prompt, slot, reason, (*found.verdicts, verdict))


def _describe(prompt: Prompt) -> str:
    return f"{prompt.name} v{prompt.version}" if prompt.version else f"{prompt.name} (built-in)"
