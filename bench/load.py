"""Two load scenarios against a running Ikrar server, driven by locust used as a library.

``event_day``: tablets at a signing ceremony submit in bursts (every tablet at the same moment), and
a share of the submissions is sent twice with the same Idempotency-Key, as a flaky network would.

``news_spike``: after a news story, readers check verification codes at a constant arrival rate
(some mistyped or invented), while signing carries on at a slow steady pace.

Both scenarios are bounded in count and time and report their own measurements: every request's
latency is taken from locust's ``request`` event, and every answer is checked against what the
server must say, so an unexpected answer is counted rather than hidden in an average.

Importing this module imports locust, which monkey-patches the process for gevent; import it
before anything that loads ``ssl`` or ``requests``, or run it as ``python -m bench.load``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import gevent
from gevent.event import Event
from locust import HttpUser, constant, task
from locust.clients import ResponseContextManager
from locust.env import Environment
from locust.exception import CatchResponseError, StopUser

from registry.core.codes import ALPHABET, normalise_code
from registry.core.errors import FormatError

T = TypeVar("T")

SEED = 20240817  # the random choices (who retries, which codes) are the same on every run
REQUEST_TIMEOUT_S = 30.0
BARRIER_TIMEOUT_S = 60.0  # a burst whose tablets cannot all meet within this is broken, not waited on
EVENT_DAY_TIMEOUT_S = 900.0
SPIKE_GRACE_S = 60.0  # after the last scheduled arrival, how long in-flight requests may still take
SCHEDULE_LEAD_S = 1.0  # users are spawned before the first arrival is due, so none starts late
MAX_SPAWN_RATE = 100.0  # locust warns above this; at 100/s even 40 users are up well within the lead
# How many requests per second one simulated user is expected to carry. Users share one timetable, so
# this only sets concurrency: the rate holds while a request takes less than 1/VERIFY_PER_USER s.
VERIFY_PER_USER = 5.0
SIGNINGS_PER_USER = 1.0

SIGN = "sign"
SIGN_REPLAY = "sign (replay)"
PAGE = "verify page"  # GET /v/<code>, the HTML page a QR code opens
JSON = "verify json"  # GET /api/v1/verify/<code>
INVALID = " (invalid code)"

CATEGORIES = ("pemerintah", "akademisi", "badan-usaha", "komunitas")
DIMENSIONS = (
    "smart-governance",
    "smart-branding",
    "smart-economy",
    "smart-living",
    "smart-society",
    "smart-environment",
)
POSITIONS = ("Kepala Seksi", "Dosen", "Direktur", "Ketua", "Staf", "Relawan")
INSTITUTIONS = ("Diskominfo", "Universitas Jenderal Soedirman", "PT Maju Jaya", "Komunitas Warga")
# A ten-point zigzag drawn over 180 ms; every simulated signatory "draws" the same one.
STROKES = [
    [
        {"x": 10, "y": 40, "t": 0, "p": 0.5},
        {"x": 40, "y": 10, "t": 20, "p": 0.6},
        {"x": 70, "y": 60, "t": 40, "p": 0.5},
        {"x": 100, "y": 15, "t": 60, "p": 0.4},
        {"x": 130, "y": 70, "t": 80, "p": 0.5},
        {"x": 160, "y": 20, "t": 100, "p": 0.6},
        {"x": 190, "y": 65, "t": 120, "p": 0.5},
        {"x": 220, "y": 10, "t": 140, "p": 0.4},
        {"x": 250, "y": 55, "t": 160, "p": 0.5},
        {"x": 280, "y": 30, "t": 180, "p": 0.4},
    ]
]


# ---------------------------------------------------------------------------------------------------
# Measurement


@dataclass(frozen=True)
class Sample:
    """One finished request as locust reported it; ``problem`` is None when the answer was right."""

    name: str
    ms: float
    status: int
    problem: str | None
    done_at: float


@dataclass
class Recorder:
    """Collects every request and every exception raised in a user's task."""

    samples: list[Sample] = field(default_factory=list)
    exceptions: Counter[str] = field(default_factory=Counter)

    def on_request(self, **kwargs: Any) -> None:
        exception = kwargs.get("exception")
        problem = None
        if isinstance(exception, CatchResponseError):
            problem = str(exception)
        elif exception is not None:
            problem = type(exception).__name__
        status = getattr(kwargs.get("response"), "status_code", None) or 0
        self.samples.append(
            Sample(
                str(kwargs["name"]), float(kwargs["response_time"]), int(status), problem, time.perf_counter()
            )
        )

    def on_user_error(self, exception: BaseException, **_: Any) -> None:
        self.exceptions[f"{type(exception).__name__}: {str(exception)[:120]}"] += 1

    def named(self, *names: str) -> list[Sample]:
        return [s for s in self.samples if s.name in names]


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty sequence."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency(values: Iterable[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {f"p{p}": round(percentile(ordered, p), 1) for p in (50, 95, 99)} | {"max": round(ordered[-1], 1)}


def summary(samples: Sequence[Sample]) -> dict[str, object]:
    return {
        "count": len(samples),
        "latency_ms": latency(s.ms for s in samples),
        "by_status": {str(k): v for k, v in sorted(Counter(s.status for s in samples).items())},
        "problems": dict(Counter(f"{s.name}: {s.problem}" for s in samples if s.problem).most_common()),
    }


def locust_totals(env: Environment) -> dict[str, object]:
    """Locust's own aggregate, as a cross-check on ours (its percentiles are bucketed, ours exact)."""
    total = env.stats.total
    return {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "p50_ms": total.get_response_time_percentile(0.5),
        "p99_ms": total.get_response_time_percentile(0.99),
    }


# ---------------------------------------------------------------------------------------------------
# Coordination between simulated users (all greenlets of one process, so no locks are needed:
# nothing below yields between reading and updating shared state)


class BrokenBarrier(Exception):
    pass


class Barrier:
    """A reusable gevent barrier: the ``parties``-th caller of ``wait`` releases everyone at once."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.broken = False
        self._waiting = 0
        self._release = Event()

    def wait(self, timeout: float) -> None:
        if self.broken:
            raise BrokenBarrier
        release = self._release
        self._waiting += 1
        if self._waiting == self.parties:
            self._waiting = 0
            self._release = Event()  # the next round waits on a fresh event
            release.set()
            return
        if not release.wait(timeout):
            # One party is gone for good (or hangs): release the rest so the scenario ends.
            self.broken = True
            release.set()
        if self.broken:
            raise BrokenBarrier


class Finish:
    """Set once every user has stopped, so the caller can stop the runner as soon as work is done."""

    def __init__(self, users: int) -> None:
        self._left = users
        self.event = Event()
        self.at: float | None = None

    def done(self) -> None:
        self._left -= 1
        if self._left == 0:
            self.at = time.perf_counter()
            self.event.set()


class Timetable(Generic[T]):
    """Open-loop arrivals: item i is due at start + i/rate, whoever is free serves it.

    Users take the next due item rather than pacing themselves, so a slow answer delays only
    the user that waits for it, and a late start shows up as lateness instead of a lower rate.
    """

    def __init__(self, items: Sequence[T], rate: float) -> None:
        self.items = items
        self.rate = rate
        self.start = 0.0
        self.lateness_ms: list[float] = []
        self.from_due_ms: list[float] = []
        self._next = 0

    def take(self) -> tuple[float, T] | None:
        if self._next >= len(self.items):
            return None
        index = self._next
        self._next += 1
        return self.start + index / self.rate, self.items[index]

    def wait_until(self, due: float) -> None:
        gevent.sleep(max(0.0, due - time.perf_counter()))
        self.lateness_ms.append((time.perf_counter() - due) * 1000)

    def answered(self, due: float) -> None:
        # Latency counted from the due time, not the send time: if the users fell behind, the wait
        # an on-time arrival would have had shows here (no coordinated omission).
        self.from_due_ms.append((time.perf_counter() - due) * 1000)


@dataclass(frozen=True)
class Outcome:
    recorder: Recorder
    completed: bool  # every user stopped by itself before the time limit
    locust: dict[str, object]


def run_users(user_classes: list[type[HttpUser]], users: int, finish: Finish, timeout: float) -> Outcome:
    """Run the users until all have stopped, or for at most ``timeout`` seconds."""
    recorder = Recorder()
    # A fresh Environment has its own event hooks, so listeners do not pile up across scenarios.
    env = Environment(user_classes=list(user_classes), catch_exceptions=True)
    # locust leaves EventHook.add_listener unannotated.
    env.events.request.add_listener(recorder.on_request)  # type: ignore[no-untyped-call]
    env.events.user_error.add_listener(recorder.on_user_error)  # type: ignore[no-untyped-call]
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=min(MAX_SPAWN_RATE, users * 10.0))
    completed = bool(finish.event.wait(timeout))
    runner.quit()
    return Outcome(recorder, completed, locust_totals(env))


def bind(base: type[HttpUser], **attributes: object) -> type[HttpUser]:
    """A concrete subclass of an abstract user with this run's settings as class attributes."""
    return type(base.__name__, (base,), {"abstract": False, **attributes})


# ---------------------------------------------------------------------------------------------------
# Signing


def walk_in(name: str, n: int) -> dict[str, object]:
    """A signing body for a walk-in signatory; ``name`` must be unique (same name twice is a 409)."""
    return {
        "signatory": {
            "name": name,
            "position": POSITIONS[n % len(POSITIONS)],
            "institution": INSTITUTIONS[n % len(INSTITUTIONS)],
            "category": CATEGORIES[n % len(CATEGORIES)],
        },
        "dimensions": [DIMENSIONS[n % len(DIMENSIONS)], DIMENSIONS[(n + 1) % len(DIMENSIONS)]][: 1 + n % 2],
        "consent": {"accepted": True, "public_display": True},
        "strokes": STROKES,
    }


def signing_problem(response: ResponseContextManager, replay_of: str | None) -> tuple[str | None, str | None]:
    """(record id, what is wrong with the answer) for a first submission or a replay of ``replay_of``."""
    if response.status_code != 201:
        return None, f"expected 201, got {response.status_code or 'no answer'}"
    try:
        record_id = response.json()["id"]
    except (ValueError, KeyError, TypeError):
        return None, "201 without a JSON id"
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    if replay_of is None:
        return record_id, "first submission marked as a replay" if replayed else None
    if not replayed:
        return record_id, "replay not marked Idempotent-Replayed"
    if record_id != replay_of:
        return record_id, "replay answered with a different record"
    return record_id, None


class Signer(HttpUser):
    """Shared by tablets and spike signers: one signing request, checked, counted by locust."""

    abstract = True
    wait_time = constant(0)
    token: ClassVar[str]
    signatures_path: ClassVar[str]

    def sign(self, body: dict[str, object], key: str, replay_of: str | None = None) -> str | None:
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        name = SIGN if replay_of is None else SIGN_REPLAY
        with self.client.post(
            self.signatures_path,
            json=body,
            headers=headers,
            name=name,
            catch_response=True,
            timeout=REQUEST_TIMEOUT_S,
        ) as response:
            record_id, problem = signing_problem(response, replay_of)
            if problem is None:
                response.success()
            else:
                response.failure(problem)
        return record_id if problem is None else None


def signatures_path(slug: str) -> str:
    return f"/api/v1/commitments/{quote(slug, safe='')}/signatures"


# ---------------------------------------------------------------------------------------------------
# Event day


@dataclass
class EventDay:
    tablets: int
    people: int
    retried: frozenset[int]
    run: str
    barrier: Barrier
    finish: Finish
    numbers: Iterator[int] = field(default_factory=itertools.count)
    record_ids: list[str] = field(default_factory=list)
    started: float | None = None

    @property
    def bursts(self) -> int:
        return math.ceil(self.people / self.tablets)


class Tablet(Signer):
    """One tablet: in every burst it meets the others at the barrier, then submits its next person."""

    abstract = True
    day: ClassVar[EventDay]

    def on_start(self) -> None:
        self.number = next(self.day.numbers)
        self.burst = 0

    def on_stop(self) -> None:
        self.day.finish.done()

    @task
    def submit(self) -> None:
        burst = self.burst
        self.burst += 1  # first, so an exception below moves on to the next burst rather than repeating
        if burst >= self.day.bursts:
            raise StopUser
        try:
            self.day.barrier.wait(BARRIER_TIMEOUT_S)
        except BrokenBarrier:
            raise StopUser from None
        if self.day.started is None:
            self.day.started = time.perf_counter()
        # Every tablet takes part in every burst; in a last, partial burst some only wait.
        person = burst * self.day.tablets + self.number
        if person >= self.day.people:
            return
        name = f"Peserta {person + 1:04d} tablet {self.number + 1:02d} ({self.day.run})"
        body, key = walk_in(name, person), str(uuid.uuid4())
        record_id = self.sign(body, key)
        if record_id is not None:
            self.day.record_ids.append(record_id)
        if person in self.day.retried:
            # The flaky network: the tablet never saw the answer and sends the very same request again.
            self.sign(body, key, replay_of=record_id or "(first submission failed)")


def event_day(
    base_url: str, token: str, slug: str, *, tablets: int = 20, people: int = 500, retry_share: float = 0.2
) -> dict[str, object]:
    """Sign ``people`` walk-ins from ``tablets`` tablets in simultaneous bursts, replaying ``retry_share``."""
    rng = random.Random(SEED)
    day = EventDay(
        tablets=tablets,
        people=people,
        retried=frozenset(rng.sample(range(people), round(people * retry_share))),
        run=uuid.uuid4().hex[:6],
        barrier=Barrier(tablets),
        finish=Finish(tablets),
    )
    user = bind(Tablet, host=base_url, token=token, signatures_path=signatures_path(slug), day=day)
    outcome = run_users([user], tablets, day.finish, EVENT_DAY_TIMEOUT_S)
    recorder = outcome.recorder
    first, replays = recorder.named(SIGN), recorder.named(SIGN_REPLAY)
    ended = day.finish.at or time.perf_counter()
    wall = ended - (day.started or ended)
    distinct = len(set(day.record_ids))
    errors = sum(1 for s in first + replays if s.problem) + sum(recorder.exceptions.values())
    return {
        "scenario": "event-day",
        "ok": outcome.completed and not day.barrier.broken and errors == 0 and distinct == people,
        "completed": outcome.completed,
        "tablets": tablets,
        "people": people,
        "bursts": day.bursts,
        "first_submissions": len(first),
        "retries": len(replays),
        "latency_ms": latency(s.ms for s in first + replays),
        "first": summary(first),
        "replays": summary(replays),
        "errors": errors,
        "exceptions": dict(recorder.exceptions),
        "barrier_broken": day.barrier.broken,
        "wall_s": round(wall, 2),
        "signings_per_s": round(distinct / wall, 1) if wall else None,
        "requests_per_s": round((len(first) + len(replays)) / wall, 1) if wall else None,
        "distinct_record_ids": distinct,
        "record_ids": sorted(set(day.record_ids)),
        "locust": outcome.locust,
    }


# ---------------------------------------------------------------------------------------------------
# News spike


@dataclass(frozen=True)
class Visit:
    """One scheduled verify request and the status the server must answer."""

    name: str
    path: str
    expect: int


def invalid_code(rng: random.Random, codes: Sequence[str], known: set[str]) -> str:
    """A real code with one symbol changed and its check symbol fixed up: well-formed but unknown.

    Keeping the check symbol right makes the server look the code up in the database, the costlier
    of its two "not found" paths (a mistyped check symbol is refused before any query).
    """
    while True:
        code = rng.choice(codes)
        at = rng.randrange(len(code) - 1)
        body = code[:at] + rng.choice(ALPHABET.replace(code[at], "")) + code[at + 1 : -1]
        for check in ALPHABET:
            try:
                candidate = normalise_code(body + check)
            except FormatError:
                continue
            if candidate not in known:
                return candidate
            break


def plan_visits(codes: Sequence[str], count: int, invalid_share: float, rng: random.Random) -> list[Visit]:
    """``count`` visits: exactly ``invalid_share`` of them invalid, alternating HTML page and JSON."""
    known = set(codes)
    invalid = set(rng.sample(range(count), round(count * invalid_share)))
    visits = []
    for i in range(count):
        code = invalid_code(rng, codes, known) if i in invalid else rng.choice(codes)
        page = i % 2 == 0
        visits.append(
            Visit(
                name=(PAGE if page else JSON) + (INVALID if i in invalid else ""),
                path=f"/v/{code}" if page else f"/api/v1/verify/{code}",
                expect=404 if i in invalid else 200,
            )
        )
    return visits


def visit_problem(response: ResponseContextManager, visit: Visit) -> str | None:
    if response.status_code != visit.expect:
        return f"expected {visit.expect}, got {response.status_code or 'no answer'}"
    if visit.name == JSON:
        # A 200 also says whether the stored record still verifies; anything but "valid" is wrong here.
        try:
            status = response.json().get("status")
        except (ValueError, AttributeError):
            return "200 without a JSON body"
        if status != "valid":
            return f"status {status!r}, not 'valid'"
    return None


@dataclass
class Spike:
    visits: Timetable[Visit]
    signings: Timetable[int]
    run: str
    finish: Finish


class Reader(HttpUser):
    """A reader checking a code: serves the next due visit from the shared timetable."""

    abstract = True
    wait_time = constant(0)
    spike: ClassVar[Spike]

    def on_stop(self) -> None:
        self.spike.finish.done()

    @task
    def verify(self) -> None:
        slot = self.spike.visits.take()
        if slot is None:
            raise StopUser
        due, visit = slot
        self.spike.visits.wait_until(due)
        with self.client.get(
            visit.path, name=visit.name, catch_response=True, timeout=REQUEST_TIMEOUT_S
        ) as response:
            problem = visit_problem(response, visit)
            if problem is None:
                response.success()
            else:
                response.failure(problem)
        self.spike.visits.answered(due)


class SpikeSigner(Signer):
    """Signing that carries on during the spike, one walk-in per due slot."""

    abstract = True
    spike: ClassVar[Spike]

    def on_stop(self) -> None:
        self.spike.finish.done()

    @task
    def submit(self) -> None:
        slot = self.spike.signings.take()
        if slot is None:
            raise StopUser
        due, n = slot
        self.spike.signings.wait_until(due)
        self.sign(walk_in(f"Pengunjung {n + 1:05d} ({self.spike.run})", n), str(uuid.uuid4()))
        self.spike.signings.answered(due)


def rate_of(samples: Sequence[Sample], start: float) -> float | None:
    """Requests answered per second, from the first scheduled arrival to the last answer."""
    if not samples:
        return None
    return round(len(samples) / (max(s.done_at for s in samples) - start), 2)


def news_spike(
    base_url: str,
    token: str,
    slug: str,
    codes: list[str],
    *,
    rate: float = 150.0,
    seconds: float = 300.0,
    invalid_share: float = 0.2,
    signing_rate: float = 2.0,
) -> dict[str, object]:
    """Verify at ``rate``/s for ``seconds`` (``invalid_share`` unknown codes) while signing goes on."""
    if not codes:
        raise ValueError("news_spike needs at least one valid verification code")
    rng = random.Random(SEED)
    readers = math.ceil(rate / VERIFY_PER_USER)
    signers = math.ceil(signing_rate / SIGNINGS_PER_USER) if signing_rate > 0 else 0
    spike = Spike(
        visits=Timetable(plan_visits(codes, round(rate * seconds), invalid_share, rng), rate),
        signings=Timetable(range(round(signing_rate * seconds)), signing_rate or 1.0),
        run=uuid.uuid4().hex[:6],
        finish=Finish(readers + signers),
    )
    common = {"host": base_url, "spike": spike}
    users = [bind(Reader, fixed_count=readers, **common)]
    if signers:
        path = signatures_path(slug)
        users.append(bind(SpikeSigner, fixed_count=signers, token=token, signatures_path=path, **common))
    start = time.perf_counter() + SCHEDULE_LEAD_S
    spike.visits.start = spike.signings.start = start
    outcome = run_users(users, readers + signers, spike.finish, SCHEDULE_LEAD_S + seconds + SPIKE_GRACE_S)
    return spike_report(outcome, spike, start, rate=rate, seconds=seconds, signing_rate=signing_rate)


def spike_report(
    outcome: Outcome, spike: Spike, start: float, *, rate: float, seconds: float, signing_rate: float
) -> dict[str, object]:
    recorder = outcome.recorder
    valid, invalid = recorder.named(PAGE, JSON), recorder.named(PAGE + INVALID, JSON + INVALID)
    verify, signing = valid + invalid, recorder.named(SIGN)
    everything = verify + signing
    unexpected = sum(1 for s in everything if s.problem) + sum(recorder.exceptions.values())
    server_errors = sum(1 for s in everything if s.status >= 500)
    return {
        "scenario": "news-spike",
        "ok": outcome.completed and unexpected == 0 and server_errors == 0,
        "completed": outcome.completed,
        "seconds": seconds,
        "target_rate": rate,
        "scheduled": len(spike.visits.items),
        "verify": summary(verify) | {"achieved_rate": rate_of(verify, start)},
        "verify_valid": summary(valid),
        "verify_invalid": summary(invalid),
        "verify_page": summary(recorder.named(PAGE, PAGE + INVALID)),
        "verify_json": summary(recorder.named(JSON, JSON + INVALID)),
        # How far behind its due time a request was sent: near zero means the open loop held.
        "verify_lateness_ms": latency(spike.visits.lateness_ms),
        "verify_from_due_ms": latency(spike.visits.from_due_ms),
        "target_signing_rate": signing_rate,
        "signing": summary(signing) | {"achieved_rate": rate_of(signing, start)},
        "signing_lateness_ms": latency(spike.signings.lateness_ms),
        "signing_from_due_ms": latency(spike.signings.from_due_ms),
        "server_errors_5xx": server_errors,
        "unexpected": unexpected,
        "exceptions": dict(recorder.exceptions),
        "locust": outcome.locust,
    }


# ---------------------------------------------------------------------------------------------------
# Command line


def read_codes(path: Path) -> list[str]:
    """Verification codes, one a line (blank lines ignored)."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m bench.load", description="Load scenarios against a running Ikrar server."
    )
    scenarios = top.add_subparsers(dest="scenario", required=True)
    day = scenarios.add_parser("event-day", help="tablets signing in simultaneous bursts, with replays")
    spike = scenarios.add_parser("news-spike", help="constant-rate verification while signing goes on")
    for sub in (day, spike):
        sub.add_argument("--url", required=True, help="base URL of the running server")
        sub.add_argument("--token", required=True, help="bearer token allowed to sign the commitment")
        sub.add_argument("--slug", required=True, help="the commitment to sign")
    day.add_argument("--tablets", type=int, default=20)
    day.add_argument("--people", type=int, default=500)
    day.add_argument("--retry-share", type=float, default=0.2)
    spike.add_argument("--codes", type=Path, required=True, help="file of valid codes, one a line")
    spike.add_argument("--rate", type=float, default=150.0, help="verify requests per second")
    spike.add_argument("--seconds", type=float, default=300.0)
    spike.add_argument("--invalid-share", type=float, default=0.2)
    spike.add_argument("--signing-rate", type=float, default=2.0, help="signings per second")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.scenario == "event-day":
        result = event_day(
            args.url,
            args.token,
            args.slug,
            tablets=args.tablets,
            people=args.people,
            retry_share=args.retry_share,
        )
    else:
        result = news_spike(
            args.url,
            args.token,
            args.slug,
            read_codes(args.codes),
            rate=args.rate,
            seconds=args.seconds,
            invalid_share=args.invalid_share,
            signing_rate=args.signing_rate,
        )
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
