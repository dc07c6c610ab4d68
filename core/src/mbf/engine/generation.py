"""Running the generation rules: estate in, backlog out, and regeneration that keeps ids.

The enabled rules run in ascending order, each taking the backlog the previous one produced.
``[generation]`` in mbf.toml switches rules off (``disable``), on (``enable``, for rules off by
default) and reorders them (``order = { remediation = 150 }``); naming a rule that no plugin
provides is an error.

Regenerating after a new discovery (:func:`merge_regenerated`) keeps every id: an item still in
the estate keeps what the tracker side owns (state, assignee, refs, planning fields, extra keys of
its own); a new one is added; one whose estate object is gone is kept, marked removed.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from mbf.config import GenerationConfig
from mbf.domain import Backlog, Estate, StateCategory, WorkItem, validate_backlog
from mbf.errors import ConfigError
from mbf.plugin.types import Context, GenerationRule

__all__ = [
    "REMOVED_STATE",
    "RegenerationReport",
    "active_rules",
    "generate_backlog",
    "merge_regenerated",
]

REMOVED_STATE = "Removed"
"""State of an item whose estate object disappeared from the latest discovery."""
REMOVED_TAG = "removed-from-estate"


def active_rules(rules: Iterable[GenerationRule], config: GenerationConfig) -> list[GenerationRule]:
    """The rules to run, in run order (order, then name), after mbf.toml's switches."""
    by_name = {rule.name: rule for rule in rules}
    for key, names in (
        ("disable", config.disable),
        ("enable", config.enable),
        ("order", config.order),
    ):
        unknown = sorted(set(names) - set(by_name))
        if unknown:
            raise ConfigError(
                f"mbf.toml: generation.{key} names unknown rule(s) {', '.join(unknown)}; "
                f"available: {', '.join(sorted(by_name))}"
            )
    chosen = [
        rule
        for rule in by_name.values()
        if rule.name not in config.disable
        and (rule.enabled_by_default or rule.name in config.enable)
    ]
    return sorted(chosen, key=lambda r: (config.order.get(r.name, r.order), r.name))


def generate_backlog(estate: Estate, rules: Iterable[GenerationRule], context: Context) -> Backlog:
    """Run the enabled ``rules`` over ``estate``; the result is validated (ids unique, links known)."""
    backlog = Backlog()
    for rule in active_rules(rules, context.config.generation):
        backlog = rule.apply(estate, backlog, context)
    return validate_backlog(backlog, origin="generated backlog")


@attrs.frozen(kw_only=True)
class RegenerationReport:
    """What a regeneration changed, by item id."""

    added: tuple[str, ...] = ()
    """Items new in this generation."""
    kept: tuple[str, ...] = ()
    """Items generated before and again."""
    removed: tuple[str, ...] = ()
    """Items whose estate object is gone; kept in the backlog, marked removed."""


def _carry_over(previous: WorkItem, fresh: WorkItem) -> WorkItem:
    """``fresh`` with what the tracker and planning own taken from ``previous``."""
    return attrs.evolve(
        fresh,
        state=previous.state,
        state_category=previous.state_category,
        assignee=previous.assignee or fresh.assignee,
        iteration_id=previous.iteration_id,
        release_id=previous.release_id,
        start=previous.start,
        finish=previous.finish,
        refs=previous.refs,
        extra={**previous.extra, **fresh.extra},
        tags=tuple(dict.fromkeys((*fresh.tags, *(t for t in previous.tags if t != REMOVED_TAG)))),
    )


def merge_regenerated(previous: Backlog, generated: Backlog) -> tuple[Backlog, RegenerationReport]:
    """Fold a freshly ``generated`` backlog into the ``previous`` one, keeping every id.

    Items generated again keep their tracker-owned fields; items no longer generated stay, with
    state ``Removed`` (category done) and the tag ``removed-from-estate``, and lose links to items
    that no longer exist. Iterations and releases of ``previous`` are kept.
    """
    old = {item.id: item for item in previous.items}
    fresh_ids = {item.id for item in generated.items}
    items: list[WorkItem] = []
    added: list[str] = []
    kept: list[str] = []
    for item in generated.items:
        if item.id in old:
            items.append(_carry_over(old[item.id], item))
            kept.append(item.id)
        else:
            items.append(item)
            added.append(item.id)
    removed: list[str] = []
    all_ids = fresh_ids | old.keys()
    for item in previous.items:
        if item.id in fresh_ids:
            continue
        removed.append(item.id)
        items.append(
            attrs.evolve(
                item,
                state=REMOVED_STATE,
                state_category=StateCategory.DONE,
                tags=tuple(dict.fromkeys((*item.tags, REMOVED_TAG))),
                links=tuple(link for link in item.links if link.target_id in all_ids),
            )
        )
    backlog = Backlog(
        items=tuple(items), iterations=previous.iterations, releases=previous.releases
    )
    report = RegenerationReport(added=tuple(added), kept=tuple(kept), removed=tuple(removed))
    return validate_backlog(backlog, origin="regenerated backlog"), report
