"""Simulation (what-if) input stage: a seeded synthetic caseload generated from a profile.

profile (JSON/TOML) + lowered **Program** → ``generate`` → ``Event``s → evaluate → metrics.

A :class:`Profile` describes a caseload in the domain's words: arrivals over a period, step and
decision durations in working days, suspension and correction-notice rates, A/B absences, error
rates (unauthorised decisions and extensions, steps started before their prerequisites, a second
correction notice…) and staff per post. The default (``profiles/county.json``) is shaped like the
seeds' county figures (营山县 2009: 12,537 cases a year; see ``docs/simulation.md``).

Every name (items, units, posts, steps, suspension reasons, powers) is read from the
:class:`~wenze.engine.lower.Program`, so the events always validate against the rulebook they were
generated for. :func:`generate` is deterministic: same program, profile, count and seed → the same
events (byte-identical JSON Lines; nothing depends on set or hash order).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import random
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl.calendar import CalendarRangeError
from wenze.engine.lower import DayIndex, ItemIR, Program, StepIR
from wenze.events.readers import Event, EventType

PROFILES_DIR = Path(__file__).with_name("profiles")
DEFAULT_PROFILE = PROFILES_DIR / "county.json"
TZ = dt.timezone(dt.timedelta(hours=8))
SOURCE = "<simulate>"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程"
GIVEN = list("芳娜伟洋静帆磊敏杰婷明悦骏琳斌倩平远涛欣强军勇艳霞刚丽超华鹏")


class ProfileError(ValueError):
    """A profile file that cannot be used (unknown key, wrong type, rate outside 0–1)."""


# --------------------------------------------------------------------------- profiles


class Profile:
    """A caseload profile: the default profile's keys, any of them overridden by a file.

    ``items`` and ``units`` are open maps (item name → partial item settings, unit name →
    weight); every other section has exactly the default's keys."""

    def __init__(self, data: dict[str, Any], origin: str):
        self.data = data
        self.origin = origin
        period = data["period"]
        try:
            self.start = dt.date.fromisoformat(period["start"])
            self.end = dt.date.fromisoformat(period["end"])
            self.as_of = dt.date.fromisoformat(period["as_of"])
        except (TypeError, ValueError) as err:
            raise ProfileError(f"{origin}: period: 日期无效 invalid date ({err})") from None
        if self.end < self.start:
            raise ProfileError(f"{origin}: period: end 早于 start / end before start")

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def __getitem__(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    def item(self, name: str) -> dict[str, float]:
        """The settings of one item: the ``default`` entry overridden by the item's own."""
        items = self.data["items"]
        return {**items["default"], **items.get(name, {})}


def _check(default: Any, given: Any, where: str, origin: str) -> Any:
    """``given`` merged over ``default``: unknown keys and wrong types are errors."""
    if isinstance(default, dict):
        if not isinstance(given, dict):
            raise ProfileError(f"{origin}: `{where}` 应为表 must be a table")
        open_map = where in ("items", "units", "suspension.reasons")
        merged = copy.deepcopy(default)
        for key, value in given.items():
            path = f"{where}.{key}" if where else key
            if key in default:
                merged[key] = _check(default[key], value, path, origin)
            elif open_map:
                template = default.get("default") if where == "items" else 1.0
                if where == "items":
                    merged[key] = _check_partial(template, value, path, origin)
                else:
                    merged[key] = _check(template, value, path, origin)
            else:
                raise ProfileError(f"{origin}: 未知键 unknown key `{path}`")
        return merged
    if isinstance(default, bool) or isinstance(default, str):
        if type(given) is not type(default):
            raise ProfileError(f"{origin}: `{where}` 类型错误 must be {type(default).__name__}")
        return given
    if isinstance(default, int | float):
        if isinstance(given, bool) or not isinstance(given, int | float):
            raise ProfileError(f"{origin}: `{where}` 应为数值 must be a number")
        if given < 0 or (_is_rate(where) and given > 1):
            raise ProfileError(f"{origin}: `{where}` = {given} 超出范围 out of range")
        return given
    return given


def _check_partial(template: dict[str, Any], given: Any, where: str, origin: str) -> dict:
    if not isinstance(given, dict):
        raise ProfileError(f"{origin}: `{where}` 应为表 must be a table")
    for key in given:
        if key not in template:
            raise ProfileError(f"{origin}: 未知键 unknown key `{where}.{key}`")
    return {k: _check(template[k], v, f"{where}.{k}", origin) for k, v in given.items()}


_RATE_KEYS = {"on_the_spot", "early_start", "unanswered", "rate", "unlisted_reason", "late_notice",
              "second_notice", "rate_when_late", "unauthorized", "refusal",
              "refusal_without_reasons", "cover_while_present", "shirking", "median_fraction"}


def _is_rate(where: str) -> bool:
    return where.rsplit(".", 1)[-1] in _RATE_KEYS


def load_profile(path: str | Path | None = None) -> Profile:
    """The default profile, or a JSON/TOML file laid over it (keys it omits keep the default)."""
    with DEFAULT_PROFILE.open(encoding="utf-8") as fh:
        default = json.load(fh)
    if path is None:
        return Profile(default, str(DEFAULT_PROFILE))
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        given = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ProfileError(f"{path}: 无法解析 cannot parse: {err}") from None
    return Profile(_check(default, given, "", str(path)), str(path))


# --------------------------------------------------------------------------- the caseload


def person_name(i: int) -> str:
    """The i-th official's name (deterministic; a number is appended past 1,200 names)."""
    n = len(SURNAMES) * len(GIVEN)
    a, b = divmod(i % n, len(SURNAMES))  # 11 is prime to 30: the first n names are distinct
    base = SURNAMES[b] + GIVEN[(11 * a + b) % len(GIVEN)]
    return base if i < n else f"{base}{i // n}"


class _Staff:
    """Who holds which post, which posts handle, decide, extend and cover, per unit."""

    def __init__(self, program: Program, per_post: int):
        posts = sorted(program.posts.values(), key=lambda p: p.name)
        self.leaders = {p for u in program.units.values()
                        for p in (u.chief_leader, u.deputy_leader) if p}
        self.people: dict[str, list[str]] = {}
        n = 0
        for p in posts:
            k = 1 if p.name in self.leaders else max(1, int(per_post))
            self.people[p.name] = [person_name(n + i) for i in range(k)]
            n += k
        self.next_person = n
        power = program.deciding_power
        plain = [p.name for p in posts
                 if not p.powers and not p.covers and p.name not in self.leaders]
        self.handlers: dict[str | None, list[str]] = {}
        self.deciders: dict[str | None, list[str]] = {}
        for unit in [None, *sorted(program.units)]:
            mine = [p for p in posts if unit is None or p.unit == unit]
            own_plain = [p.name for p in mine if p.name in plain]
            self.handlers[unit] = (own_plain or [p.name for p in mine if p.name not in self.leaders]
                                   or [p.name for p in mine] or plain or [p.name for p in posts])
            self.deciders[unit] = ([p.name for p in mine if power in p.powers] or
                                   [p.name for p in posts if power in p.powers]) if power else []
        self.covers: dict[str, list[str]] = {}
        for p in posts:
            if p.covers:
                self.covers.setdefault(p.covers, []).append(p.name)
        self.holders_of = {pw: [p.name for p in posts if pw in p.powers]
                           for pw in sorted(program.powers)}
        self.powerless = plain or [p.name for p in posts if not p.powers]
        self.unit_people: dict[str, str] = {}
        for u in sorted(program.units):
            own = [p for p in posts if p.unit == u]
            self.unit_people[u] = self.people[own[0].name][0] if own else f"{u}经办人"


def _lognormal_days(rng: random.Random, median: float, sigma: float, least: int = 0) -> int:
    if median <= 0:
        return least
    return max(least, math.ceil(rng.lognormvariate(math.log(median), sigma)))


def _weighted(rng: random.Random, names: Sequence[str], weights: Sequence[float]) -> str:
    total = sum(weights)
    if total <= 0:
        return names[rng.randrange(len(names))]
    x = rng.random() * total
    for name, w in zip(names, weights, strict=True):
        x -= w
        if x < 0:
            return name
    return names[-1]


def _topological(steps: dict[str, StepIR], order: Sequence[str]) -> list[str]:
    done: list[str] = []
    left = list(order)
    while left:
        ready = [s for s in left if all(a in done or a not in steps for a in steps[s].after)]
        if not ready:  # a cycle the checks should have refused: keep declaration order
            ready = left[:1]
        for s in ready:
            done.append(s)
            left.remove(s)
    return done


class _Case:
    """Collects one case's events; minutes follow the order of generation within a day."""

    def __init__(self, case: str, item: str, unit: str | None, out: list[Event],
                 post_units: dict[str, str | None]):
        self.case, self.item, self.unit, self.out, self.k = case, item, unit, out, 0
        self.post_units = post_units

    def add(self, typ: EventType, day: dt.date, actor: str | None, post: str | None,
            step: str | None = None, data: dict[str, Any] | None = None,
            unit: str | None = None) -> None:
        self.k += 1
        at = dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=TZ) + dt.timedelta(
            minutes=self.k)
        self.out.append(Event(f"{self.case}-{self.k:02d}", self.case, typ, at, self.item, actor,
                              post, unit or self.post_units.get(post or "") or self.unit, step,
                              data or {}, None, SOURCE))


class Generator:
    """The state shared by every case of one caseload (staff, arrival days, absences)."""

    def __init__(self, program: Program, profile: Profile, seed: int,
                 start: dt.date | None = None):
        self.program, self.profile = program, profile
        self.rng = random.Random(seed)
        self.start = start or profile.start
        self.end = self.start + (profile.end - profile.start)
        self.staff = _Staff(program, profile["staff.officials_per_post"])
        self.items = sorted((i for i in program.items.values() if i.statutory or i.promised),
                            key=lambda i: i.name) or sorted(program.items.values(),
                                                            key=lambda i: i.name)
        if not self.items:
            raise ProfileError(f"{program.name}: 规则集没有事项 the rulebook declares no item")
        self.item_weights = [float(profile.item(i.name)["weight"]) for i in self.items]
        units = sorted(program.units)
        self.units = units
        self.unit_weights = [float(profile["units"].get(u, 1.0)) for u in units]
        self.post_units = {p.name: p.unit for p in program.posts.values()}
        self.workdays: dict[str, list[dt.date]] = {}
        self.absences: dict[str, list[tuple[dt.date, dt.date]]] = {}

    def index(self, item: ItemIR) -> DayIndex:
        return self.program.calendar_of(item).working

    def arrival_days(self, item: ItemIR) -> list[dt.date]:
        days = self.workdays.get(item.calendar)
        if days is None:
            cal = self.program.calendar_of(item).calendar
            days, d = [], self.start
            while d <= self.end:
                if cal.is_workday(d):
                    days.append(d)
                d += dt.timedelta(days=1)
            self.workdays[item.calendar] = days
        return days

    def absence_events(self) -> list[Event]:
        """A posts (those a B post covers) are away a few times a year (离岗 → 返岗)."""
        out: list[Event] = []
        rng, p = self.rng, self.profile
        span = (self.end - self.start).days + 1
        for post in sorted(self.staff.covers):
            person = self.staff.people[post][0]
            count = round(p["absences.per_post_per_year"] * span / 365)
            taken: list[tuple[dt.date, dt.date]] = []
            for n in range(count):
                first = self.start + dt.timedelta(days=rng.randrange(span))
                back = first + dt.timedelta(days=_lognormal_days(
                    rng, p["absences.median_days"], 0.5, 1))
                if any(a <= back and first <= b for a, b in taken):
                    continue
                taken.append((first, back))
                key = f"ABS-{post}-{n:03d}"
                for typ, day in ((EventType.ABSENT, first), (EventType.RETURNED, back)):
                    at = dt.datetime(day.year, day.month, day.day, 7, 30, tzinfo=TZ)
                    out.append(Event(f"{key}-{typ.value}", "", typ, at, None, person, post,
                                     self.program.posts[post].unit, None,
                                     {"reason": "外出学习"} if typ is EventType.ABSENT else {},
                                     None, SOURCE))
            self.absences[post] = sorted(taken)
        return out

    def away(self, post: str, day: dt.date) -> bool:
        return any(a <= day < b for a, b in self.absences.get(post, ()))

    # ------------------------------------------------------------------ one case

    def case(self, number: int, out: list[Event]) -> None:
        rng, p, staff = self.rng, self.profile, self.staff
        item = self.items[0] if len(self.items) == 1 else self.program.items[
            _weighted(rng, [i.name for i in self.items], self.item_weights)]
        ip = p.item(item.name)
        unit = item.unit or (_weighted(rng, self.units, self.unit_weights) if self.units else None)
        c = _Case(f"SIM-{number:07d}", item.name, unit, out, self.post_units)
        idx = self.index(item)
        days = self.arrival_days(item)
        received = days[rng.randrange(len(days))]
        handler_post = rng.choice(staff.handlers[unit]) if staff.handlers[unit] else None
        handler = rng.choice(staff.people[handler_post]) if handler_post else person_name(
            number % 1200)
        try:
            self._case_events(c, item, ip, idx, received, handler, handler_post)
        except CalendarRangeError:
            pass  # the case runs past the calendar's known years: it stays open there

    def _case_events(self, c: _Case, item: ItemIR, ip: dict[str, float], idx: DayIndex,
                     received: dt.date, handler: str, hpost: str | None) -> None:
        rng, p = self.rng, self.profile
        wd: Callable[[dt.date, int], dt.date] = idx.deadline
        c.add(EventType.RECEIVED, received, handler, hpost)
        if rng.random() < p["complaints.shirking"]:
            c.add(EventType.COMPLAINT, received, None, None,
                  data={"kind": "推诿", "against": handler, "post": hpost})
        accepted = received
        window = item.correction_within.amount if item.correction_within else None
        if window is not None and rng.random() < p["corrections.rate"]:
            if rng.random() < p["corrections.late_notice"]:
                notice = wd(received, window + 1 + rng.randrange(3))
            else:
                notice = wd(received, rng.randrange(window + 1))
            c.add(EventType.CORRECTIONS_REQUESTED, notice, handler, hpost,
                  data={"materials": ["营业执照副本"]})
            if rng.random() < p["corrections.second_notice"]:
                notice = wd(notice, 1 + rng.randrange(2))
                c.add(EventType.CORRECTIONS_REQUESTED, notice, handler, hpost,
                      data={"materials": ["场地证明"]})
            accepted = wd(notice, _lognormal_days(rng, p["corrections.supply_median_days"], 0.5,
                                                  1))
            c.add(EventType.CORRECTIONS_SUPPLIED, accepted, None, None)
        c.add(EventType.ACCEPTED, accepted, handler, hpost)
        process = self.program.processes.get(item.process or "")
        if process is not None:
            decided = self._steps(c, process.steps, process.order, idx, accepted, handler, hpost)
        else:
            spot = rng.random() < ip["on_the_spot"]
            limit = item.promised or item.statutory
            median = (limit.amount * ip["median_fraction"] if limit and limit.amount
                      else ip["median_days"])
            length = 0 if spot else _lognormal_days(rng, median, ip["sigma"], 1)
            decided = wd(accepted, length)
            reasons = sorted(item.suspension_reasons)
            if length >= 2 and reasons and rng.random() < p["suspension.rate"]:
                at = wd(accepted, 1 + rng.randrange(length - 1))
                pause = _lognormal_days(rng, p["suspension.median_days"], p["suspension.sigma"],
                                        1)
                if rng.random() < p["suspension.unlisted_reason"]:
                    reason = "领导出差"
                else:
                    weights = [float(p["suspension.reasons"].get(r, 0.0)) for r in reasons]
                    reason = _weighted(rng, reasons, weights)
                c.add(EventType.SUSPENDED, at, handler, hpost, data={"reason": reason})
                resumed = wd(at, pause)
                c.add(EventType.RESUMED, resumed, handler, hpost)
                decided = wd(decided, pause)
            self._extension(c, item, idx, accepted, length, handler, hpost)
        self._decide(c, decided, handler, hpost)

    def _extension(self, c: _Case, item: ItemIR, idx: DayIndex, accepted: dt.date, length: int,
                   handler: str, hpost: str | None) -> None:
        rng, p, staff = self.rng, self.profile, self.staff
        if not (item.extension and item.statutory and length > item.statutory.amount):
            return
        if rng.random() >= p["extension.rate_when_late"]:
            return
        holders = staff.holders_of.get(item.extension_power or "", [])
        if holders and rng.random() >= p["extension.unauthorized"]:
            post = rng.choice(holders)
            who = rng.choice(staff.people[post])
        else:
            post, who = hpost, handler
        day = idx.deadline(accepted, max(1, item.statutory.amount - 2))
        c.add(EventType.EXTENSION_GRANTED, day, who, post,
              data={"days": item.extension.amount, "reasons": ["材料复杂，需现场核查"]})

    def _steps(self, c: _Case, steps: Any, order: Sequence[str], idx: DayIndex,
               accepted: dt.date, handler: str, hpost: str | None) -> dt.date:
        rng, p, staff = self.rng, self.profile, self.staff
        ends: dict[str, dt.date] = {}
        for name in _topological(dict(steps), order):
            step: StepIR = steps[name]
            ready = max((ends[a] for a in step.after if a in ends), default=accepted)
            start = ready
            if step.after and ready > accepted and rng.random() < p["steps.early_start"]:
                start = max(accepted, ready - dt.timedelta(days=1))
            limit = step.limit.amount if step.limit else 5
            post = step.post or hpost
            who = rng.choice(staff.people[post]) if post in staff.people else handler
            if step.kind == "countersign":
                c.add(EventType.COUNTERSIGN_REQUESTED, start, handler, hpost, step=name,
                      data={"units": list(step.units)})
                end = start
                for u in step.units:
                    if rng.random() < p["countersign.unanswered"]:
                        end = max(end, idx.deadline(start, limit))
                        continue
                    reply = idx.deadline(start, _lognormal_days(
                        rng, limit * p["countersign.median_fraction"], 0.5, 1))
                    c.add(EventType.COUNTERSIGN_REPLIED, reply, staff.unit_people.get(u, u),
                          None, step=name, data={"opinion": "同意"}, unit=u)
                    end = max(end, reply)
            else:
                c.add(EventType.STEP_STARTED, start, who, post, step=name)
                end = idx.deadline(start, _lognormal_days(
                    rng, limit * p["steps.median_fraction"], p["steps.sigma"], 0))
                c.add(EventType.STEP_COMPLETED, end, who, post, step=name)
            ends[name] = end
        return max(ends.values(), default=accepted)

    def _decide(self, c: _Case, day: dt.date, handler: str, hpost: str | None) -> None:
        rng, p, staff = self.rng, self.profile, self.staff
        post, who = hpost, handler
        deciders = staff.deciders.get(c.unit) or staff.deciders.get(None) or []
        if deciders:
            post = rng.choice(deciders)
            covers = staff.covers.get(post, [])
            present_cover = rng.random() < p["absences.cover_while_present"]
            if covers and (self.away(post, day) or present_cover):
                post = rng.choice(covers)
            if rng.random() < p["decision.unauthorized"] and staff.powerless:
                post = rng.choice(staff.powerless)
            who = rng.choice(staff.people[post])
        data: dict[str, Any] = {"outcome": "准予许可"}
        if rng.random() < p["decision.refusal"]:
            data = {"outcome": "不予许可"}
            if rng.random() >= p["decision.refusal_without_reasons"]:
                data["reasons"] = ["申请材料不符合法定条件"]
        c.add(EventType.DECIDED, day, who, post, data=data)


def generate(program: Program, profile: Profile | None = None, cases: int = 1000, seed: int = 0,
             start: dt.date | None = None,
             progress: Callable[[int], None] | None = None) -> list[Event]:
    """A synthetic caseload of ``cases`` cases for ``program``: absences first, then each case's
    events in order. ``start`` moves the profile's period (its length is kept). Deterministic."""
    profile = profile or load_profile()
    gen = Generator(program, profile, seed, start)
    out = gen.absence_events()
    for n in range(1, cases + 1):
        gen.case(n, out)
        if progress is not None and n % 1000 == 0:
            progress(n)
    if progress is not None:
        progress(cases)
    return out


def to_jsonl(events: Iterable[Event]) -> str:
    """Events as JSON Lines (contract shape, ``docs/events.md``), one line each, in order."""
    return "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in events)


def duration_days(program: Program, events: Iterable[Event]) -> dict[str, int]:
    """Working days from acceptance to decision of each decided case (suspensions included)."""
    accepted: dict[str, tuple[str, dt.date]] = {}
    decided: dict[str, dt.date] = {}
    for e in events:
        if e.type is EventType.ACCEPTED and e.item:
            accepted[e.case] = (e.item, e.at.date())
        elif e.type is EventType.DECIDED:
            decided[e.case] = e.at.date()
    out: dict[str, int] = {}
    for case, (item, start) in accepted.items():
        end = decided.get(case)
        if end is None or item not in program.items:
            continue
        index = program.calendar_of(program.items[item]).index(A.DayKind.WORKING)
        try:
            out[case] = index.between(start, end)
        except CalendarRangeError:
            continue
    return out
