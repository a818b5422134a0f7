"""Serve stage — what the office workbench (the web page in ``web/``) needs besides the API.

- :func:`mount_page`: the built page (``wenze/serve/static/``, made by ``npm run build`` in
  ``web/``, git-ignored) served at ``/``; without a build, ``/`` says how to make one.
- :func:`add_routes`: the language (keywords and facts, for highlighting, completion and hover),
  formatting, the service's own rulebook (the shipped example), the processes of a text and
  their graphviz SVG, and one decision's 问责决定书 with its case's day-by-day explanation from
  a stateless evaluation (as ``POST /v1/evaluate`` makes it).

All of them take the same bearer tokens as the API; none reads or writes the store.
"""


import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.staticfiles import StaticFiles

from wenze.serve.problems import Problem, problem_responses

STATIC = Path(__file__).resolve().parent / "static"

NOT_BUILT = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>wenze 问责</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>网页尚未构建 The page is not built</h1>
<p>在仓库中运行 Run in the repository: <code>bash scripts/setup.sh</code>
（需要 npm needs npm; or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>），
然后重新启动 then restart <code>wenze serve</code>.</p>
<p>接口照常可用 The API works as usual: <code>/v1/…</code>.</p></body></html>
"""


class FmtRequest(BaseModel):
    rulebook: str = Field(description="the rulebook's text (.wz)")
    lang: str | None = Field(default=None, pattern="^(zh|en)$",
                             description="keywords in zh or en (default: the text's own)")


class FmtAnswer(BaseModel):
    ok: bool
    text: str | None = Field(description="the canonical layout; null when the text has errors")
    diagnostics: list[dict[str, Any]]


class EventsInput(BaseModel):
    """Events posted to a stateless evaluation: a JSON array of events, or a file's content
    (JSON Lines, CSV or XES; CSV and XES through a mapping), read as ``wenze evaluate`` reads
    the same file."""

    events: list[dict[str, Any]] = Field(default_factory=list, description="events (JSON)")
    events_text: str | None = Field(default=None, description="instead of `events`: a file's "
                                                              "text in `format`")
    events_base64: str | None = Field(default=None, description="instead of `events`: a file's "
                                                                "bytes, base64 (a byte that is "
                                                                "not UTF-8 rejects its own line)")
    format: Literal["jsonl", "csv", "xes"] = Field(default="jsonl", description="the format "
                                                   "of `events_text` / `events_base64`")
    mapping: str | None = Field(default=None, description="CSV/XES: a ready mapping by name "
                                                          "(GET /v1/mappings; default `xes`, "
                                                          "the IEEE XES standard attributes)")
    mapping_text: str | None = Field(default=None, description="CSV/XES: a mapping written in "
                                                               "TOML or JSON (docs/events.md "
                                                               "§4), instead of `mapping`")


class RulebookText(BaseModel):
    rulebook: str | None = Field(default=None, description="rulebook text; default: the "
                                                           "service's own rulebook")


class GraphRequest(RulebookText, EventsInput):
    process: str | None = Field(default=None, description="the process (流程) to draw; "
                                                          "default: the case's, else the "
                                                          "rulebook's overview")
    case: str | None = Field(default=None, description="a case to overlay (its step states, "
                                                       "warnings, who is held to account)")
    as_of: dt.date | None = Field(default=None, description="the overlay's day (with case)")


class ExplainRequest(RulebookText, EventsInput):
    as_of: dt.date
    case: str | None = Field(default=None, description="the case to explain day by day")
    key: str | None = Field(default=None, description="a decision (of the case): its 问责决定书")


class CompareRequest(BaseModel):
    rulebook: str = Field(description="the edited rulebook (B), compared with the service's (A)")
    cases: int = Field(default=1000, ge=1, le=20_000, description="synthetic cases")
    seed: int = Field(default=0, description="the caseload's seed (same seed: same caseload)")
    as_of: dt.date | None = Field(default=None, description="default: the profile's end")


def mount_page(app: FastAPI) -> None:
    """Serve the built page at ``/`` (after every API route), or say how to build it."""
    if (STATIC / "index.html").is_file():
        app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
        return

    @app.get("/", include_in_schema=False)
    def not_built() -> HTMLResponse:
        return HTMLResponse(NOT_BUILT)


def add_routes(app: FastAPI, service: Callable[[], Any], auth: Any) -> None:
    """The workbench's endpoints; ``service`` gives the running :class:`Service` (or raises
    not_ready), ``auth`` is the API's bearer-token dependency type."""

    @app.get("/v1/language", tags=["workbench"],
             summary="The rules language: keywords (zh, en) and the facts conditions name",
             responses=problem_responses(401))
    def language(who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        from wenze.dsl.facts import FACTS
        from wenze.dsl.keywords import KEYWORDS

        return {
            "keywords": [{"terminal": t, "zh": list(zh), "en": list(en)}
                         for t, (zh, en) in KEYWORDS.items()],
            "facts": [{"key": f.key, "zh": f.zh, "type": f.type.value,
                       "scopes": sorted(s.value for s in f.scopes), "doc": f.doc}
                      for f in FACTS],
        }

    @app.get("/v1/mappings", tags=["workbench"],
             summary="The ready CSV/XES mappings (events' column → field), by name",
             responses=problem_responses(401))
    def mappings(who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        from wenze.events.readers import MAPPINGS

        return {"mappings": [{"name": name, "table": m.to_table()}
                             for name, m in MAPPINGS.items()]}

    @app.post("/v1/fmt", tags=["workbench"], response_model=FmtAnswer,
              summary="Format a rulebook's text (wenze fmt): the canonical layout",
              responses=problem_responses(400, 401))
    def fmt(body: FmtRequest, who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        from wenze.dsl.formatter import try_format_text
        from wenze.dsl.render import to_json

        text, diagnostics = try_format_text(body.rulebook, "rulebook.wz", body.lang)
        return {"ok": text is not None, "text": text,
                "diagnostics": to_json(diagnostics, {"rulebook.wz": body.rulebook})}

    @app.get("/v1/rulebook", tags=["workbench"],
             summary="The service's own rulebook: its file name and text",
             responses=problem_responses(401, 503))
    def own_rulebook(who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        s = service()
        force = s.in_force  # the activated stored rulebook, else the --rulebook file
        return {"file": force.file, "text": force.text, "name": force.name,
                "version": force.version}

    @app.post("/v1/processes", tags=["workbench"],
              summary="The processes (流程) of a rulebook, inherited ones included",
              responses=problem_responses(400, 401, 503))
    def processes(body: RulebookText, who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        from wenze.dsl import ast as A

        rulebook = _rulebook(service(), body.rulebook)
        return {"processes": sorted(rulebook.named(A.ProcessDecl))}

    @app.post("/v1/graph", tags=["workbench"],
              summary="A process's graph (critical path marked) or the overview, as SVG",
              responses={**problem_responses(400, 401, 404, 413, 503),
                         200: {"content": {"image/svg+xml": {}}}})
    def graph(body: GraphRequest, who: auth) -> Response:  # type: ignore[valid-type]
        from wenze.dsl import ast as A
        from wenze.dsl.calendar import CalendarRangeError
        from wenze.dsl.processes import ProcessCycleError
        from wenze.graphs import render as R
        from wenze.graphs.overlay import OverlayError

        s = service()
        rulebook = _rulebook(s, body.rulebook)
        name = body.process
        try:
            overlay, lines = None, []
            if body.case is not None:
                if body.as_of is None:
                    raise Problem("bad_request", "须指明评价基准日 a case overlay needs as_of")
                name, overlay, lines = _overlay(s, rulebook, body, body.as_of, body.case, name)
            if name is None:
                drawing = R.render_overview(rulebook)
            else:
                process = rulebook.named(A.ProcessDecl).get(name)
                if not isinstance(process, A.ProcessDecl):
                    raise Problem("not_found", f"规则集中没有流程「{name}」 no process `{name}`")
                drawing = R.render_process(process, rulebook, overlay, case_lines=lines)
            svg = R.render_bytes(drawing, "svg")
        except (ProcessCycleError, R.RenderError, OverlayError, CalendarRangeError) as err:
            raise Problem("bad_request", str(err)) from None
        return Response(svg, media_type="image/svg+xml")

    @app.post("/v1/compare", tags=["workbench"],
              summary="Before publishing: the edited rulebook against the service's on the same "
                      "synthetic caseload (simulate --compare)",
              responses=problem_responses(400, 401, 503))
    def compare_rulebooks(body: CompareRequest, who: auth  # type: ignore[valid-type]
                          ) -> dict[str, Any]:
        from wenze.dsl.calendar import CalendarRangeError
        from wenze.engine.lower import lower
        from wenze.simulate.caseload import generate, load_profile

        s = service()
        edited = lower(_rulebook(s, body.rulebook))
        profile = load_profile()
        as_of = body.as_of or profile.as_of
        events = generate(s.program, profile, body.cases, body.seed)
        try:
            answer = compare(s.program, edited, events, as_of)
        except CalendarRangeError as err:
            raise Problem("bad_request", str(err)) from None
        return {"published": s.in_force.file, "cases": body.cases,
                "seed": body.seed, **answer}

    @app.post("/v1/explain", tags=["workbench"],
              summary="One case of a stateless evaluation day by day, and a decision's 决定书",
              responses=problem_responses(400, 401, 404, 413, 503))
    def explain(body: ExplainRequest, who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        from wenze.dsl.calendar import CalendarRangeError
        from wenze.engine import evaluate as EV
        from wenze.engine.lower import lower
        from wenze.report.output import decision_letter
        from wenze.report.output import explain as explain_text

        s = service()
        program = s.program if body.rulebook is None else lower(_rulebook(s, body.rulebook))
        batch = read_posted_events(s, body)
        try:
            result = EV.evaluate(program, batch.events, body.as_of, rejected=batch.rejected,
                                 explain=[body.case] if body.case else [])
        except CalendarRangeError as err:
            raise Problem("bad_request", str(err)) from None
        letter = None
        if body.key is not None:
            found = [d for d in result.decisions if d.key == body.key
                     and (body.case is None or d.case == body.case)]
            if not found:
                raise Problem("not_found", f"没有决定 no decision `{body.key}`"
                                           + (f"（案件 case {body.case}）" if body.case else ""))
            letter = decision_letter(found[0], program)
        explanation = explain_text(result, body.case, program) if body.case else None
        return {"case": body.case, "explanation": explanation, "letter": letter}


def compare(published: Any, edited: Any, events: list[Any], as_of: dt.date) -> dict[str, Any]:
    """Both programs on the same caseload: sanctions per unit and level side by side (and
    summed per level, ``by_level``, and per unit, ``by_unit``), and the persons whose decisions
    change (each decision as ``case violation → sanction``)."""
    from collections import Counter

    from wenze.engine import evaluate as EV
    from wenze.report.output import who_answers

    a = EV.evaluate(published, events, as_of).decisions
    b = EV.evaluate(edited, events, as_of).decisions
    levels: list[str] = []
    for program in (published, edited):
        for name in sorted(program.ladders):
            levels += [lv.text for lv in program.ladders[name].levels if lv.text not in levels]
    count_a = Counter((d.unit or "", d.sanction) for d in a)
    count_b = Counter((d.unit or "", d.sanction) for d in b)
    rank = {lv: i for i, lv in enumerate(levels)}
    keys = sorted(count_a.keys() | count_b.keys(),
                  key=lambda k: (k[0], k[1] is None, rank.get(k[1] or "", len(rank)), k[1] or ""))
    sanctions = [{"unit": u, "level": lv, "a": count_a.get((u, lv), 0),
                  "b": count_b.get((u, lv), 0)} for u, lv in keys]
    # the same counts summed per level (ladder order, no sanction last) and per unit
    by_level: dict[str | None, dict[str, Any]] = {}
    by_unit: dict[str, dict[str, Any]] = {}
    for row in sanctions:
        for table, key, name in ((by_level, row["level"], "level"), (by_unit, row["unit"], "unit")):
            total = table.setdefault(key, {name: key, "a": 0, "b": 0})
            total["a"] += row["a"]
            total["b"] += row["b"]
    level_rows = sorted(by_level.values(), key=lambda r: (r["level"] is None,
                                                           rank.get(r["level"] or "", len(rank)),
                                                           r["level"] or ""))

    def lines(decisions: Any) -> dict[tuple[str, str], list[str]]:
        out: dict[tuple[str, str], list[str]] = {}
        for d in decisions:
            who = (who_answers(d), d.unit or "")  # as the report names them
            out.setdefault(who, []).append(f"{d.case or d.subject or ''} {d.violation} → "
                                           f"{d.sanction or '免予问责/无阶梯'}")
        return {k: sorted(v) for k, v in out.items()}

    lines_a, lines_b = lines(a), lines(b)
    persons = [{"person": p, "unit": u, "a": lines_a.get((p, u), []), "b": lines_b.get((p, u), [])}
               for p, u in sorted(lines_a.keys() | lines_b.keys(), key=lambda k: (k[1], k[0]))
               if lines_a.get((p, u)) != lines_b.get((p, u))]
    return {"as_of": as_of.isoformat(), "events": len(events), "levels": levels,
            "decisions": {"a": len(a), "b": len(b)}, "sanctions": sanctions,
            "by_level": level_rows, "by_unit": [by_unit[u] for u in sorted(by_unit)],
            "persons": persons}


def load_posted(service: Any, text: str, file: str = "rulebook.wz") -> Any:
    """Load a rulebook text posted to the service (every endpoint that takes one): its ``继承``
    bases may only be files in the folder of the service's own rulebook — the loader refuses
    anything else (WZ119) before it is opened, so nothing else on the server is read back."""
    from wenze.dsl.loader import load_text

    if not service.config.rulebook:  # no --rulebook: 继承 reaches the stored rulebooks only
        from wenze.serve.rulebooks import load_stored_text

        return load_stored_text(service.engine, Path(file).stem or "rulebook", text).result
    folder = Path(service.config.rulebook).resolve().parent
    name = Path(file).name or "rulebook.wz"
    return load_text(text, str(folder / name), folder)


def read_posted_events(service: Any, body: EventsInput) -> Any:
    """The events of a request (:class:`EventsInput`) as ``wenze evaluate`` reads them from a
    file: a batch of events and rejections (each with its line and code; the good events kept).
    A mapping that cannot be read, or one naming a column the file lacks, is a 400 with code
    ``bad_mapping``; more than the service's batch limit, a 413."""
    from wenze.events.readers import EventError, Mapping, read_bytes, read_jsonl

    limit = service.config.max_batch
    sent = [name for name in ("events_text", "events_base64") if getattr(body, name) is not None]
    if len(sent) > 1 or (sent and body.events):
        raise Problem("bad_request", "事件只能用一种方式给出：events、events_text 或 "
                                     "events_base64 / give the events one way only")
    if body.mapping is not None and body.mapping_text is not None:
        raise Problem("bad_request", "mapping 与 mapping_text 只能给一个 / give mapping or "
                                     "mapping_text, not both")
    if not sent:
        if len(body.events) > limit:
            raise Problem("payload_too_large", f"at most {limit} events")
        return read_jsonl([json.dumps(e, ensure_ascii=False) for e in body.events], "<request>")
    if body.events_text is not None:
        data = body.events_text.encode("utf-8", "surrogatepass")
    else:
        try:
            data = base64.b64decode(body.events_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise Problem("bad_request", "events_base64 不是 base64 / events_base64 is not "
                                         "base64") from None
    if body.format == "jsonl" and (body.mapping or body.mapping_text):
        raise Problem("bad_request", "JSON Lines 不用映射 / JSON Lines take no mapping")
    mapping: Any = body.mapping
    try:
        if body.mapping_text is not None:
            mapping = Mapping.from_text(body.mapping_text)
        batch = read_bytes(data, body.format, mapping, "<request>")
    except EventError as err:  # the file lacks a column the mapping needs
        raise Problem(err.rejection.code, err.rejection.message, status=400,
                      line=err.rejection.line) from None
    except (ValueError, TypeError) as err:  # no such ready mapping, a mapping that is not one
        raise Problem("bad_mapping", f"映射无法读取 the mapping cannot be read: {err}",
                      status=400) from None
    if len(batch.events) > limit:
        raise Problem("payload_too_large", f"{len(batch.events)} 个事件，上限 {limit} "
                                           f"{len(batch.events)} events, at most {limit}")
    return batch


def _overlay(service: Any, rulebook: Any, body: EventsInput, as_of: dt.date,
             case: str, process: str | None) -> tuple[str, Any, list[str]]:
    """The process to draw for ``case`` (``process``, else its item's), the case's step states
    on ``as_of`` as ``wenze graph --case`` draws them, and the lines under the title."""
    from wenze.dsl import ast as A
    from wenze.graphs.overlay import case_overlay

    events = read_posted_events(service, body).events
    own = [e for e in events if e.case == case]
    if not own:
        raise Problem("not_found", f"没有案件 {case} 的事件 no events of case `{case}`")
    if process is None:
        items = rulebook.named(A.ItemDecl)
        for e in own:
            item = items.get(e.item or "")
            if isinstance(item, A.ItemDecl) and item.process:
                process = item.process.text
                break
    if process is None:
        raise Problem("bad_request", f"案件 {case} 的事项没有流程 the item of case `{case}` "
                                     "names no process")
    found = rulebook.named(A.ProcessDecl).get(process)
    if not isinstance(found, A.ProcessDecl):
        raise Problem("not_found", f"规则集中没有流程「{process}」 no process `{process}`")
    view, overlay = case_overlay(rulebook, found, events, as_of, case)
    lines = [f"案件 {case}（截至 {as_of}）"]
    if view.case_accountable:
        lines.append("本案问责：" + "、".join(view.case_accountable))
    return process, overlay, lines


def _rulebook(service: Any, text: str | None) -> Any:
    """The AST of a posted text (400 with its diagnostics when it has errors), or of the
    service's own rulebook."""
    if text is None:
        return _own(service)
    loaded = load_posted(service, text)
    if not loaded.ok or loaded.rulebook is None:
        from wenze.dsl.render import to_json

        errors = [d for d in loaded.diagnostics if d.is_error]
        raise Problem(errors[0].code if errors else "bad_request",
                      "规则集有错误 the rulebook has errors", status=400,
                      diagnostics=to_json(loaded.diagnostics, loaded.sources))
    return loaded.rulebook


_OWN: dict[str, Any] = {}


def _own(service: Any) -> Any:
    """The service's rulebook's AST: the activated stored one's, or the --rulebook file's
    (loaded once)."""
    from wenze.dsl.loader import load_rulebook

    if service.in_force.ast is not None:  # an activated stored rulebook
        return service.in_force.ast
    path = service.config.rulebook
    if path not in _OWN:
        _OWN[path] = load_rulebook(path).rulebook
    return _OWN[path]
