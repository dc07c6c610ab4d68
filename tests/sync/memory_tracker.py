"""An in-memory tracker for the sync engine's tests: it stores items like a real tracker, stamps
them with the mbf id, counts write requests, and can be told to die in the middle of a batch."""

from collections.abc import Mapping, Sequence

import attrs

from mbf.domain import Backlog, TrackerRef, WorkItem
from mbf.sync import BatchWriter, ItemOutcome


class Killed(BaseException):
    """The process died: not an error mbf could handle, like SIGKILL during a request."""


class MemoryTracker:
    def __init__(self, batch_size: int = 2) -> None:
        self.batch_size = batch_size
        self.items: dict[str, dict] = {}  # key -> {"mbf_id", "title", "state", "parent"}
        self.write_requests = 0
        self.die_after_applying_batch: int | None = None  # 1-based create batch to die in
        self.refuse_titles: set[str] = set()
        self._batches = 0

    def create(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        self.write_requests += 1
        self._batches += 1
        outcomes = []
        for item in items:
            if item.title in self.refuse_titles:
                outcomes.append(
                    ItemOutcome(item_id=item.id, error="TF401320: Rule Error for field Title")
                )
                continue
            assert item.parent_id is None or item.parent_id in keys, (
                f"parent of {item.id} not created yet"
            )
            key = f"MIG-{len(self.items) + 1}"
            self.items[key] = {
                "mbf_id": item.id,
                "title": item.title,
                "state": item.state,
                "parent": keys.get(item.parent_id or ""),
            }
            outcomes.append(ItemOutcome(item_id=item.id, key=key, url=f"https://tracker/{key}"))
        if self._batches == self.die_after_applying_batch:
            raise Killed
        return outcomes

    def update(self, items: Sequence[WorkItem], keys: Mapping[str, str]) -> list[ItemOutcome]:
        self.write_requests += 1
        outcomes = []
        for item in items:
            key = keys[item.id]
            self.items[key].update(title=item.title, state=item.state)
            outcomes.append(ItemOutcome(item_id=item.id, key=key, url=f"https://tracker/{key}"))
        return outcomes

    def find_marked(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        wanted = set(ids)
        return {
            fields["mbf_id"]: (key, f"https://tracker/{key}")
            for key, fields in self.items.items()
            if fields["mbf_id"] in wanted
        }

    def writer(self) -> BatchWriter:
        return BatchWriter(
            batch_size=self.batch_size,
            create=self.create,
            update=self.update,
            find_marked=self.find_marked,
        )

    def marked_ids(self) -> list[str]:
        return sorted(fields["mbf_id"] for fields in self.items.values())

    def as_backlog(self, template: Backlog) -> Backlog:
        """What a pull would return: the template's items as the tracker now has them."""
        by_id = {fields["mbf_id"]: (key, fields) for key, fields in self.items.items()}
        items = []
        for item in template.items:
            if item.id in by_id:
                key, fields = by_id[item.id]
                items.append(
                    attrs.evolve(
                        item,
                        title=fields["title"],
                        state=fields["state"],
                        refs={"memory": TrackerRef(key=key, url=f"https://tracker/{key}")},
                    )
                )
        return Backlog(items=items)
