"""Locust users for ``benchmarks/load.py``: API reads, lists and transitions.

Configured by the environment load.py sets: BENCH_TOKEN (a bearer token of a province
verifier), BENCH_CASE_IDS (a file of case ids to read), BENCH_MOVE_IDS (a file of
``submitted`` case ids, one per transition, never reused), BENCH_MODE ("read", "list",
"transition" or "healthz": one kind of request per run, so each rate is its own).
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

from locust import FastHttpUser, constant, task

MODE = os.environ.get("BENCH_MODE", "read")
TOKEN = os.environ.get("BENCH_TOKEN", "")
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def _ids(name: str) -> list[int]:
    path = os.environ.get(name)
    return [int(x) for x in Path(path).read_text().split()] if path else []


CASE_IDS = _ids("BENCH_CASE_IDS")
# Each worker process takes its own slice of the cases to move (no case moved twice).
_MOVE = _ids("BENCH_MOVE_IDS")
_SLICE = int(os.environ.get("BENCH_SLICE", "0")), int(os.environ.get("BENCH_SLICES", "1"))
MOVE_IDS = iter(_MOVE[_SLICE[0] :: _SLICE[1]])
_counter = itertools.count()


class ApiUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def one(self) -> None:
        if MODE == "healthz":
            self.client.get("/healthz", name="healthz")
        elif MODE == "list":
            page = next(_counter) % 50 + 1
            self.client.get(f"/api/v1/cases?page={page}&per_page=20", headers=HEADERS, name="list")
        elif MODE == "transition":
            case_id = next(MOVE_IDS, None)
            if case_id is None:
                if self.environment.runner is not None:
                    self.environment.runner.quit()
                return
            self.client.post(
                f"/api/v1/cases/{case_id}/transitions",
                json={"trigger": "start_verification"},
                headers=HEADERS,
                name="transition",
            )
        else:
            case_id = random.choice(CASE_IDS)
            self.client.get(f"/api/v1/cases/{case_id}", headers=HEADERS, name="read")
