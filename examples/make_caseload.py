"""Writes ``examples/caseload.jsonl``: a realistic, deterministic caseload for a county rulebook.

    python examples/make_caseload.py rules/zitong_2008.wz > examples/caseload.jsonl

The names (items, posts, units, processes, suspension reasons) are read from the rulebook, so the
caseload always fits it. About forty cases from January to June 2024, each scenario on purpose:
on-time and on-the-spot cases; late cases across the 2024 Spring Festival (10–17 Feb off, Sundays
4 and 18 Feb worked); a suspension for expert review; an extension by a post without the power;
a late correction notice (deemed acceptance) and a second notice; B deciding while A is absent
and while A is present; a countersign left unanswered; a step started before its prerequisite;
one official late three times (告诫 → 通报 → 诫勉); circumstances (主动纠正, 不可抗力); a shirking
complaint; open cases that draw warnings as of 2024-06-30.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import wenze
from wenze.engine.lower import ItemIR, Program

PEOPLE = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐明",
          "孙悦", "马骏", "朱琳", "胡斌", "郭倩", "何平", "高远", "林涛", "罗欣"]


class Writer:
    def __init__(self, program: Program):
        self.p = program
        self.rows: list[dict[str, Any]] = []
        self.n = 0

    def ev(self, case: str, typ: str, day: str, hour: int, actor: str | None, post: str | None,
           item: str | None, **kw: Any) -> None:
        self.n += 1
        row: dict[str, Any] = {"id": f"ev-{self.n:04d}", "case": case, "type": typ,
                               "at": f"{day}T{hour:02d}:{self.n % 60:02d}:00+08:00"}
        for key, value in (("item", item), ("actor", actor), ("post", post)):
            if value:
                row[key] = value
        row.update({k: v for k, v in kw.items() if v is not None})
        self.rows.append(row)


LEADER_NAMES = ["赵建国", "钱卫东", "孙志强", "李秀英", "周国华", "吴振兴", "郑海燕", "王德明",
                "冯玉兰", "陈光辉", "褚红梅", "卫东升", "蒋立新", "沈慧敏", "韩继峰"]


class Posts:
    """The posts a case of one item uses, chosen from the rulebook by unit and power."""

    def __init__(self, program: Program, item: ItemIR):
        p = program
        unit = item.unit
        leaders = {x for u in p.units.values() for x in (u.chief_leader, u.deputy_leader) if x}
        deciding = p.deciding_power
        in_unit = sorted(x.name for x in p.posts.values() if x.unit == unit)
        plain = [x for x in in_unit if not p.posts[x].powers and not p.posts[x].covers
                 and x not in leaders]
        item_units = {i.unit for i in p.items.values() if i.unit}
        anywhere = sorted((x.unit in item_units, x.name) for x in p.posts.values()
                          if not x.powers and not x.covers and x.name not in leaders)
        anywhere = [name for _, name in anywhere]  # a service-centre window first
        self.window = (plain or anywhere or [None])[0]
        deciders = [x for x in in_unit if deciding and deciding in p.posts[x].powers]
        chiefs = [x for x in deciders if x not in leaders]
        self.decider = (chiefs or deciders or [self.window])[0]
        self.ext = sorted(x.name for x in p.posts.values()
                          if item.extension_power and item.extension_power in x.powers)
        self.b_post = next((x for x in in_unit if p.posts[x].covers == self.decider), None)


def start_for(program: Program, item: ItemIR, deadline: dt.date) -> dt.date:
    """The latest working day from which the item's (promised, else statutory) limit ends on
    ``deadline``."""
    limit = item.promised or item.statutory
    assert limit is not None
    index = program.calendar_of(item).index(limit.unit)
    day = deadline
    while True:
        day -= dt.timedelta(days=1)
        if index.calendar.is_workday(day) and index.deadline(day, limit.amount) == deadline:
            return day


def build(program: Program) -> list[dict[str, Any]]:
    w = Writer(program)
    items = sorted((i for i in program.items.values() if i.statutory or i.promised),
                   key=lambda i: i.name)
    with_unit = [i for i in items if i.unit and not i.process] or items
    posts = {i.name: Posts(program, i) for i in items}

    def item_at(i: int) -> ItemIR:
        return with_unit[i % len(with_unit)]

    def simple(case: str, person: str, item: ItemIR, received: str, accepted: str,
               decided: str | None, decider: str = "王芳", extra: tuple = (),
               outcome: str = "准予许可", decider_post: str | None = None,
               window: str | None = None, reasons: str | None = None) -> None:
        ps = posts[item.name]
        win = window or ps.window
        w.ev(case, "received", received, 9, person, win, item.name)
        w.ev(case, "accepted", accepted, 10, person, win, item.name)
        for e in extra:
            w.ev(case, *e[:5], item.name, **(e[5] if len(e) > 5 else {}))
        if decided:
            data: dict[str, Any] = {"outcome": outcome}
            if reasons:
                data["reasons"] = [reasons]
            w.ev(case, "decided", decided, 16, decider, decider_post or ps.decider, item.name,
                 data=data)

    # 0. the leaders act (批转 a case to the window), so each leader post has a known holder
    leaders = sorted({x for u in program.units.values()
                      for x in (u.chief_leader, u.deputy_leader) if x})
    for n, post in enumerate(leaders):
        unit = program.posts[post].unit if post in program.posts else None
        item = next((i for i in with_unit if i.unit == unit), item_at(n))
        case = f"ZT-2024-L{n + 1:02d}"
        day = (dt.date(2024, 1, 2) + dt.timedelta(days=n % 5)).isoformat()
        simple(case, PEOPLE[n % 10], item, day, day, day, decider=PEOPLE[10 + n % 4],
               extra=(("referred", day, 9, LEADER_NAMES[n % len(LEADER_NAMES)], post,
                       {"data": {"to_unit": unit or "", "note": "批转窗口办理"}}),))
    # 1. routine cases, on time; most decided on the spot at the window
    for n in range(60):
        day = dt.date(2024, 1, 8) + dt.timedelta(days=(n * 37) % 170)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        later = day + dt.timedelta(days=2)
        while later.weekday() >= 5:
            later += dt.timedelta(days=1)
        simple(f"ZT-2024-{n + 1:03d}", PEOPLE[n % 10], item_at(n), day.isoformat(),
               day.isoformat(), (later if n % 13 == 5 else day).isoformat(),
               decider=PEOPLE[10 + n % 4])
    # 2. late across the Spring Festival (10–17 Feb off; 4 and 18 Feb worked)
    simple("ZT-2024-101", "张伟", item_at(0), "2024-02-01", "2024-02-02", "2024-03-12")
    # 3. the same official late again inside 12 months → 通报批评, then 诫勉谈话
    simple("ZT-2024-102", "张伟", item_at(0), "2024-04-08", "2024-04-08", "2024-05-27")
    simple("ZT-2024-103", "张伟", item_at(1), "2024-05-13", "2024-05-13", "2024-06-20")
    # 4. suspension for expert review: the review days do not count, decided in time
    item = next((i for i in with_unit if "专家评审" in i.suspension_reasons), item_at(0))
    simple("ZT-2024-104", "李娜", item, "2024-03-11", "2024-03-11", "2024-04-23",
           extra=(("suspended", "2024-03-14", 11, "李娜", posts[item.name].window,
                   {"data": {"reason": "专家评审", "note": "组织专家论证规划方案"}}),
                  ("resumed", "2024-04-12", 9, "李娜", posts[item.name].window)))
    # 5. an extension "approved" by the window itself: void, and the case is late
    item = next((i for i in with_unit if i.extension_power and posts[i.name].ext), item_at(0))
    ps = posts[item.name]
    simple("ZT-2024-105", "刘洋", item, "2024-04-01", "2024-04-01", "2024-05-14",
           extra=(("extension_granted", "2024-04-25", 15, "刘洋", ps.window,
                   {"data": {"days": 10, "reasons": ["材料复杂"]}}),))
    # 6. the same extension approved by the head of the bureau: valid, in time
    if ps.ext:
        simple("ZT-2024-106", "陈静", item, "2024-04-01", "2024-04-01", "2024-05-14",
               extra=(("extension_granted", "2024-04-25", 15, LEADER_NAMES[0], ps.ext[0],
                       {"data": {"days": 10, "reasons": ["需现场核查"]}}),))
    # 7. a correction notice after the 5-day window: deemed accepted on receipt (Art. 32)
    item = next((i for i in reversed(with_unit) if i.correction_within), item_at(0))
    ps = posts[item.name]
    w.ev("ZT-2024-107", "received", "2024-05-06", 9, "杨帆", ps.window, item.name)
    w.ev("ZT-2024-107", "corrections_requested", "2024-05-20", 10, "杨帆", ps.window, item.name,
         data={"materials": ["营业执照副本", "法定代表人身份证明"]})
    w.ev("ZT-2024-107", "corrections_supplied", "2024-05-27", 10, None, None, item.name)
    w.ev("ZT-2024-107", "accepted", "2024-05-28", 9, "杨帆", ps.window, item.name)
    w.ev("ZT-2024-107", "decided", "2024-06-12", 16, "王芳", ps.decider, item.name,
         data={"outcome": "准予许可"})
    # 8. a second correction notice (一次性告知 broken)
    w.ev("ZT-2024-108", "received", "2024-05-13", 9, "赵磊", ps.window, item.name)
    w.ev("ZT-2024-108", "corrections_requested", "2024-05-14", 10, "赵磊", ps.window, item.name,
         data={"materials": ["场地租赁合同"]})
    w.ev("ZT-2024-108", "corrections_requested", "2024-05-17", 10, "赵磊", ps.window, item.name,
         data={"materials": ["消防验收意见"]})
    w.ev("ZT-2024-108", "accepted", "2024-05-22", 9, "赵磊", ps.window, item.name)
    w.ev("ZT-2024-108", "decided", "2024-05-24", 16, "王芳", ps.decider, item.name,
         data={"outcome": "准予许可"})
    # 9. A/B: the B post decides while the chief representative is away (fine) and present
    item = next((i for i in with_unit if posts[i.name].b_post), None)
    if item is not None:
        ps = posts[item.name]
        w.ev("", "absent", "2024-05-06", 8, "王芳", ps.decider, None,
             data={"reason": "参加省级培训"})
        w.ev("", "returned", "2024-05-10", 8, "王芳", ps.decider, None)
        simple("ZT-2024-109", "黄敏", item, "2024-05-07", "2024-05-07", "2024-05-08",
               decider="黄敏", decider_post=ps.b_post)
        simple("ZT-2024-110", "黄敏", item, "2024-05-20", "2024-05-20", "2024-05-21",
               decider="黄敏", decider_post=ps.b_post)
    # 10. 从轻 (corrected on own initiative) and 免责 (force majeure)
    simple("ZT-2024-111", "周杰", item_at(2), "2024-02-26", "2024-02-26", "2024-04-09",
           extra=(("complaint", "2024-04-15", 10, None, None,
                   {"data": {"kind": "督查", "circumstances": ["主动纠正"]}}),))
    simple("ZT-2024-113", "徐明", item_at(3), "2024-01-22", "2024-01-22", "2024-03-11",
           extra=(("complaint", "2024-03-15", 10, None, None,
                   {"data": {"kind": "督查", "circumstances": ["不可抗力"],
                             "note": "暴雪致网上审批系统停运"}}),))
    # 11. a shirking complaint against the first official asked (首问负责)
    item = item_at(3)
    simple("ZT-2024-114", "孙悦", item, "2024-03-18", "2024-03-18", "2024-03-20",
           extra=(("complaint", "2024-03-19", 15, None, None,
                   {"data": {"kind": "推诿", "against": "马骏", "post": posts[item.name].window,
                             "text": "申请人称窗口答复“不归我管”"}}),))
    # 12. a refusal without reasons, and one with reasons
    simple("ZT-2024-115", "朱琳", item_at(1), "2024-04-15", "2024-04-15", "2024-04-18",
           outcome="不予许可")
    simple("ZT-2024-116", "朱琳", item_at(1), "2024-04-22", "2024-04-22", "2024-04-25",
           outcome="不予许可", reasons="选址不符合控制性详细规划")
    # 13. a major project through 并联审批: one step started early, one department silent
    proc_items = [i for i in items if i.process and i.process in program.processes]
    if proc_items:
        item = proc_items[0]
        proc = program.processes[item.process or ""]
        case = "ZT-2024-201"
        ps = posts[item.name]
        window = next((s.post for s in proc.steps.values() if s.post), ps.window)
        w.ev(case, "received", "2024-04-08", 9, "胡斌", window, item.name)
        w.ev(case, "accepted", "2024-04-08", 10, "胡斌", window, item.name)
        done: dict[str, dt.date] = {}
        day = dt.date(2024, 4, 8)
        for n, name in enumerate(proc.order):
            step = proc.steps[name]
            ready = max((done[a] for a in step.after if a in done), default=day)
            if step.kind == "countersign":
                units = sorted(step.units)
                w.ev(case, "countersign_requested", ready.isoformat(), 11, "胡斌", window,
                     item.name, step=name, data={"units": units})
                for u in units[:-1]:  # the last department never answers
                    w.ev(case, "countersign_replied", (ready + dt.timedelta(days=1)).isoformat(),
                         15, "郭倩" if n % 2 else "何平", None, item.name, step=name, unit=u,
                         data={"opinion": "同意"})
                done[name] = ready + dt.timedelta(days=1)
                continue
            start = ready
            if n == 2:
                start = day  # 用地预审 started before 统一受理 was completed
            if name == proc.order[-1]:
                break  # the final step waits for the silent department
            actor = ["胡斌", "高远", "林涛", "罗欣", "郭倩", "何平"][n % 6]
            w.ev(case, "step_started", start.isoformat(), 9 if n != 2 else 8, actor,
                 step.post, item.name, step=name)
            end = start + dt.timedelta(days=1 if n == 0 else 6)
            while end.weekday() >= 5:
                end += dt.timedelta(days=1)
            w.ev(case, "step_completed", end.isoformat(), 8, actor, step.post, item.name,
                 step=name)
            done[name] = end
    # 14. open cases as of 2024-06-30 (a Sunday): a reminder (deadline Mon 1 July), a yellow
    #     card (deadline Thu 27 June, 1 working day over) and a red card
    for case, person, n, deadline in (("ZT-2024-301", "高远", 0, "2024-07-01"),
                                      ("ZT-2024-302", "林涛", 1, "2024-06-27")):
        item = item_at(n)
        day = start_for(program, item, dt.date.fromisoformat(deadline)).isoformat()
        simple(case, person, item, day, day, None)
    simple("ZT-2024-303", "罗欣", item_at(2), "2024-05-27", "2024-05-27", None)
    return w.rows


def main() -> None:
    program = wenze.load(sys.argv[1]).program
    rows = build(program)
    rows.sort(key=lambda r: (r["at"], r["id"]))
    for r in rows:
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
