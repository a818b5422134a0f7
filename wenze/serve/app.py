"""Serve stage — the HTTP API (FastAPI on uvicorn): ``/v1/…``, health, readiness, metrics.

request → access (bearer token → :class:`wenze.serve.tokens.Grant`) → endpoint →
:class:`wenze.serve.service.Service` → JSON, or ``application/problem+json`` on error
(:mod:`wenze.serve.problems`). ``docs/api.md`` documents it for integrators; the schema is
committed as ``docs/openapi.json`` (a test fails when it drifts from this code).

One module on purpose (~630 lines): the endpoints, each a few lines over the service, read as
the API's table of contents; the OpenAPI document is generated from them.
"""


import asyncio
import datetime as dt
import html
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from wenze.serve.judge import WorkerService
from wenze.serve.outputs import STREAM_KINDS
from wenze.serve.problems import PROBLEM_SCHEMA, Problem, problem_responses
from wenze.serve.rulebooks import add_routes as add_rulebook_routes
from wenze.serve.service import ServeConfig, Service
from wenze.serve.tokens import Grant
from wenze.serve.workbench import (
    EventsInput,
    add_routes,
    load_posted,
    mount_page,
    read_posted_events,
)

API_VERSION = "1.0.0"
LOG = logging.getLogger("uvicorn.error.wenze")
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines",
               "application/x-jsonlines")
LEVELS = {"notice": "notice", "yellow": "yellow", "red": "red",
          "预警": "notice", "黄牌": "yellow", "红牌": "red"}
STREAM_POLL_SECONDS = 0.2
MAX_OUTPUT_ID = 2**63 - 1  # output ids are 64-bit integers (migration 0006_bigids)
STREAM_HEARTBEAT_SECONDS = 15.0

bearer = HTTPBearer(auto_error=False, description="API token: `wenze token create`")


# ---------------------------------------------------------------------------------- models


class EventResult(BaseModel):
    line: int = Field(description="1-based position of the event in the request body")
    id: str | None = Field(description="the event id, when one could be read")
    status: str = Field(description="stored | duplicate | rejected")
    code: str | None = Field(default=None, description="rejection code (docs/events.md)")
    reason: str | None = Field(default=None, description="rejection reason, zh / en")


class EventsAnswer(BaseModel):
    stored: int
    duplicates: int
    rejected: int
    results: list[EventResult]


class WarningsAnswer(BaseModel):
    as_of: str
    count: int
    warnings: list[dict[str, Any]]


class DecisionsPage(BaseModel):
    as_of: str
    total: int
    offset: int
    limit: int
    next_offset: int | None
    decisions: list[dict[str, Any]]


class DecisionAnswer(BaseModel):
    key: str
    status: str = Field(description="in_force | withdrawn")
    decision: dict[str, Any] | None
    chain: list[dict[str, Any]] = Field(description="every output of this key, oldest first")


class CheckRequest(BaseModel):
    rulebook: str = Field(description="the rulebook's text (.wz)")
    file: str = Field(default="rulebook.wz", description="the name diagnostics give the text")


class CheckAnswer(BaseModel):
    ok: bool
    diagnostics: list[dict[str, Any]]


class EvaluateRequest(EventsInput):
    rulebook: str | None = Field(default=None, description="rulebook text; default: the "
                                                           "service's own rulebook")
    as_of: dt.date
    explain: list[str] = Field(default_factory=list, description="cases to trace")


class TokenAnswer(BaseModel):
    scope: str = Field(description="unit | supervisor | admin")
    unit: str | None = Field(description="the unit of a unit token")
    label: str | None


class ClockRequest(BaseModel):
    to: dt.date


class ClockAnswer(BaseModel):
    today: str
    issued: int


# ---------------------------------------------------------------------------------- app


def create_app(config: ServeConfig, start: bool = True) -> FastAPI:
    """The ASGI application for ``config``. ``start=False``: the app without its service
    (used to write the OpenAPI schema)."""
    holder: dict[str, Service] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start:
            # --workers N: this is a worker process; the judge is in the supervisor
            service = WorkerService(config) if config.judge else Service(config)
            holder["service"] = service
            service.start_in_background()  # /healthz answers meanwhile, /readyz says 503
        yield
        if "service" in holder:
            holder["service"].stop()

    app = FastAPI(
        title="wenze — 问责 HTTP service",
        version=API_VERSION,
        description="Events in, live warnings and accountability decisions out, per unit. "
                    "See docs/api.md.",
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.holder = holder
    app.state.config = config

    def service() -> Service:
        s = holder.get("service")
        if s is None or not s.ready:
            raise Problem("not_ready", "服务正在启动 the service is starting")
        return s

    def reader() -> Service:
        """The service once every event stored so far is judged (reads are as of now)."""
        s = service()
        s.caught_up()
        return s

    def grant(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Grant:
        if creds is None or creds.scheme.lower() != "bearer":
            raise Problem("unauthorized", "缺少令牌 no bearer token (Authorization: Bearer …)")
        s = holder.get("service")
        if s is None:
            raise Problem("not_ready", "服务正在启动 the service is starting")
        found = s.grant(creds.credentials)
        if found is None:
            raise Problem("unauthorized", "令牌无效或已吊销 invalid or revoked token")
        return found

    Auth = Annotated[Grant, Depends(grant)]

    _handlers(app)
    app.add_middleware(_Timing, holder=holder)

    # ------------------------------------------------------------------ health

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: state rebuilt from the store",
             responses=problem_responses(503))
    def readyz() -> dict[str, Any]:
        s = service()
        if s.judge_error is not None:
            raise Problem("not_ready", "实时评判出错 the live judge failed; see the log")
        return {"status": "ready", "today": s.today().isoformat(),
                "rulebook": s.program.name, "in_force": s.in_force.to_json(),
                "backlog": s.backlog}

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics (supervisor, admin)",
             response_class=PlainTextResponse, responses=problem_responses(401, 403, 503))
    def metrics(who: Auth) -> PlainTextResponse:
        if not who.reads_all:
            raise Problem("forbidden", "指标仅供督查与管理令牌 metrics need a supervisor or "
                                       "admin token")
        s = service()
        return PlainTextResponse(s.metrics.render(s.counts()),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/v1/me", tags=["access"], response_model=TokenAnswer,
             summary="What this token may do: its scope and unit (the page shows its buttons "
                     "by it)",
             responses=problem_responses(401, 503))
    def me(who: Auth) -> dict[str, Any]:
        return {"scope": who.scope, "unit": who.unit, "label": who.label}

    # ------------------------------------------------------------------ events

    @app.post(
        "/v1/events", tags=["events"], response_model=EventsAnswer,
        summary="Post events: one JSON object, a JSON array, or JSON Lines",
        responses=problem_responses(400, 401, 403, 413, 415, 503),
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/Event"},
                {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}]}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        }}},
    )
    async def post_events(request: Request, who: Auth) -> JSONResponse:
        s = service()
        body = await _read_body(request, s.config.max_body_bytes)
        lines = _event_lines(body, request.headers.get("content-type", "application/json"))
        if len(lines) > s.config.max_batch:
            raise Problem("payload_too_large",
                          f"一次最多 {s.config.max_batch} 个事件 at most {s.config.max_batch} "
                          f"events per request, got {len(lines)}")
        answers = await run_in_threadpool(s.accept, who, lines)
        results = [a.to_json() for a in answers]
        counts = {k: sum(1 for a in answers if a.status == k)
                  for k in ("stored", "duplicate", "rejected")}
        payload = {"stored": counts["stored"], "duplicates": counts["duplicate"],
                   "rejected": counts["rejected"], "results": results}
        if counts["rejected"]:
            raise Problem("rejected_events",
                          f"{counts['rejected']} 个事件被拒收，其余已保存 {counts['rejected']} "
                          "event(s) rejected; the others are stored (see results)", **payload)
        return JSONResponse(payload)

    # ------------------------------------------------------------------ cases

    @app.get("/v1/cases/{case_id}", tags=["cases"],
             summary="A case: clock, deadlines, steps, warnings, decisions (?explain: trace)",
             responses=problem_responses(401, 403, 404, 503))
    def get_case(case_id: str, who: Auth,
                 explain: Annotated[bool, Query(description="the day-by-day trace")] = False
                 ) -> dict[str, Any]:
        s = reader()
        s.check_case(who, case_id)
        return s.case_view(case_id, None if who.reads_all else who.unit, explain)

    # ------------------------------------------------------------------ warnings

    @app.get("/v1/warnings", tags=["warnings"], response_model=WarningsAnswer,
             summary="The live 预警/黄牌/红牌 board, as of now",
             responses=problem_responses(400, 401, 403, 503))
    def get_warnings(who: Auth, unit: str | None = None,
                     level: Annotated[str | None, Query(
                         description="notice|yellow|red (预警|黄牌|红牌)")] = None
                     ) -> dict[str, Any]:
        s = reader()
        wanted = s.check_unit(who, unit)
        if level is not None and level not in LEVELS:
            raise Problem("bad_request", f"未知预警级别 unknown level `{level}` "
                                         "(notice, yellow, red / 预警, 黄牌, 红牌)")
        ws = s.warnings(wanted, LEVELS[level] if level else None)
        return {"as_of": s.today().isoformat(), "count": len(ws), "warnings": ws}

    # ------------------------------------------------------------------ decisions

    @app.get("/v1/decisions", tags=["decisions"], response_model=DecisionsPage,
             summary="Decisions in force (paged; by unit, case, established since)",
             responses=problem_responses(400, 401, 403, 404, 503))
    def get_decisions(
        who: Auth, unit: str | None = None, case: str | None = None,
        since: Annotated[dt.date | None, Query(description="established on or after")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        s = reader()
        wanted = s.check_unit(who, unit)
        if case is not None:
            s.check_case(who, case)
        ds = s.decisions(wanted, case, since)
        page = ds[offset: offset + limit]
        nxt = offset + limit if offset + limit < len(ds) else None
        return {"as_of": s.today().isoformat(), "total": len(ds), "offset": offset,
                "limit": limit, "next_offset": nxt, "decisions": [d.to_json() for d in page]}

    @app.get(
        "/v1/decisions/{key}", tags=["decisions"], response_model=DecisionAnswer,
        summary="One decision: JSON with its chain, or the 问责决定书 (text, printable HTML)",
        responses={**problem_responses(401, 403, 404, 503),
                   200: {"content": {"application/json": {}, "text/plain": {},
                                     "text/html": {}}}},
    )
    def get_decision(key: str, who: Auth, request: Request,
                     format: Annotated[str | None, Query(pattern="^(json|text|html)$")] = None
                     ) -> Any:
        s = reader()
        d = s.decision(key)
        chain = s.log.chain(key)
        if d is None and not chain:
            raise Problem("not_found", f"没有该决定 no decision `{key}`")
        unit = d.unit if d is not None else chain[-1]["record"].get("unit")
        if not who.may_read_unit(unit):
            raise Problem("forbidden", f"决定 `{key}` 不属于本单位 decision `{key}` is not of "
                                       f"unit `{who.unit}`")
        chosen = format or _negotiate(request.headers.get("accept", ""))
        if chosen in ("text", "html"):
            if d is None:
                raise Problem("not_found", f"决定 `{key}` 已撤回 decision `{key}` was "
                                           "withdrawn: no 决定书 (see the JSON chain)")
            from wenze.report.output import decision_letter

            letter = decision_letter(d, s.program_of(d.case, d.version))
            if chosen == "text":
                return PlainTextResponse(letter)
            return HTMLResponse(_letter_html(key, letter))
        return {"key": key, "status": "in_force" if d is not None else "withdrawn",
                "decision": d.to_json() if d is not None else None, "chain": chain}

    # ------------------------------------------------------------------ stream

    @app.get(
        "/v1/stream", tags=["stream"],
        summary="Warnings and decisions as they arise (server-sent events, resumable)",
        response_class=StreamingResponse,
        responses={**problem_responses(400, 401, 503),
                   200: {"content": {"text/event-stream": {"schema": STREAM_EVENT_SCHEMA}}}},
    )
    async def stream(
        who: Auth,
        last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
        after: Annotated[int | None, Query(ge=0, le=MAX_OUTPUT_ID,
                                           description="resume after this id")] = None,
        follow: Annotated[bool, Query(description="false: send the backlog and end")] = True,
    ) -> StreamingResponse:
        s = reader()  # the outputs of every event stored before this request are there
        start = after
        if last_event_id is not None:
            # checked here, before the stream starts: past the id column's integers the store's
            # query would fail inside the already-started answer (a cut 200, not a 400)
            text = last_event_id.strip()
            start = int(text) if text.isascii() and text.isdigit() else -1
            if not 0 <= start <= MAX_OUTPUT_ID:
                raise Problem("bad_request", f"Last-Event-ID 须为 0 至 {MAX_OUTPUT_ID} 的整数 "
                                             "Last-Event-ID must be an integer from 0 to "
                                             f"{MAX_OUTPUT_ID}")
        unit = None if who.reads_all else who.unit
        return StreamingResponse(_events(s, start or 0, unit, follow),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    # ------------------------------------------------------------------ rulebooks

    @app.post("/v1/check", tags=["rulebooks"], response_model=CheckAnswer,
              summary="Check a rulebook's text: every diagnostic (WZ codes)",
              responses=problem_responses(400, 401, 503))
    def check(body: CheckRequest, who: Auth) -> dict[str, Any]:
        s = service()
        loaded = load_posted(s, body.rulebook, body.file)
        from wenze.dsl.render import to_json

        return {"ok": loaded.ok, "diagnostics": to_json(loaded.diagnostics, loaded.sources)}

    @app.post("/v1/evaluate", tags=["rulebooks"],
              summary="Evaluate events (JSON, or a JSON Lines, CSV or XES file's content with "
                      "a mapping) as of a date (stateless: nothing is stored)",
              responses=problem_responses(400, 401, 413, 503))
    def evaluate(body: EvaluateRequest, who: Auth) -> JSONResponse:
        s = service()
        program = None  # the served rulebook (of a family: judged in time)
        if body.rulebook is not None:
            loaded = load_posted(s, body.rulebook, "rulebook.wz")
            if not loaded.ok or loaded.rulebook is None:
                from wenze.dsl.render import to_json

                errors = [d for d in loaded.diagnostics if d.is_error]
                raise Problem(errors[0].code if errors else "bad_request",
                              "规则集有错误 the rulebook has errors", status=400,
                              diagnostics=to_json(loaded.diagnostics, loaded.sources))
            from wenze.engine.lower import lower

            program = lower(loaded.rulebook)
        from wenze.engine import evaluate as EV
        from wenze.report.output import to_json as result_json

        batch = read_posted_events(s, body)  # JSON, JSON Lines, CSV or XES (with a mapping)
        try:
            if program is None:
                result = s.evaluate(batch.events, body.as_of, rejected=batch.rejected,
                                    explain=body.explain)
            else:
                result = EV.evaluate(program, batch.events, body.as_of,
                                     rejected=batch.rejected, explain=body.explain)
        except Exception as err:  # a date outside the calendar's years, …
            from wenze.dsl.calendar import CalendarRangeError
            from wenze.engine.versions import VersionError

            if isinstance(err, CalendarRangeError | VersionError):
                raise Problem("bad_request", str(err)) from None
            raise
        return JSONResponse(json.loads(result_json(result)))

    # ------------------------------------------------------------------ admin

    @app.post("/v1/clock", tags=["admin"], response_model=ClockAnswer,
              summary="Advance a virtual clock (admin; services started with --today)",
              responses=problem_responses(400, 401, 403, 409, 503))
    def clock(body: ClockRequest, who: Auth) -> dict[str, Any]:
        if who.scope != "admin":
            raise Problem("forbidden", "仅管理令牌 admin token only")
        s = service()
        if not s.config.today:
            raise Problem("conflict", "服务使用真实时钟 the service runs on the wall clock")
        if body.to < s.today():
            raise Problem("conflict", f"时钟不能倒退 the clock cannot go back to {body.to}")
        # a day no calendar of the rulebook knows cannot be judged (never guessed): refused
        # before the clock moves, not ticked day by day into the unknown (a hang)
        last = min((c.calendar.last_date for c in s.program.calendars.values()), default=None)
        if last is not None and body.to > last:
            raise Problem("bad_request", f"日历只到 {last}，不能将时钟拨到 {body.to} "
                                         f"the rulebook's calendars end on {last}: the clock "
                                         f"cannot move to {body.to}")
        issued = s.advance(body.to)
        return {"today": s.today().isoformat(), "issued": issued}

    add_rulebook_routes(app, service, reader, Auth)  # /v1/rulebooks (wenze.serve.rulebooks)
    add_routes(app, service, Auth)  # the workbench's endpoints (wenze.serve.workbench)
    mount_page(app)  # the web page at / (after every route)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def openapi_text() -> str:
    """The OpenAPI document of the API, as committed in ``docs/openapi.json`` (sorted keys,
    2-space indent, UTF-8): ``wenze serve --openapi > docs/openapi.json``."""
    app = create_app(ServeConfig(rulebook="rulebook.wz"), start=False)
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def create_app_from_env() -> FastAPI:
    """The uvicorn factory (``wenze serve``): the config comes in ``WENZE_SERVE_CONFIG``."""
    return create_app(ServeConfig.from_env())


# ---------------------------------------------------------------------------------- helpers


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(_request: Request, exc: Problem) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['message']}" for e in errors)
        return Problem("bad_request", f"请求参数有误 invalid request: {detail}",
                       errors=errors).response()

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 401: "unauthorized", 403: "forbidden"}.get(exc.status_code,
                                                                              "bad_request")
        return Problem(code, str(exc.detail), status=exc.status_code).response()

    @app.exception_handler(Exception)
    async def on_error(_request: Request, exc: Exception) -> JSONResponse:
        LOG.error("wenze serve: internal error: %s: %s", type(exc).__name__, exc)
        return Problem("internal_error", "内部错误 internal error (see the service log)"
                       ).response()


class _Timing:
    """ASGI middleware: latency and status per route into the metrics, and one log line per
    request (method, route template, status, milliseconds: never a header, token or body)."""

    def __init__(self, app: Any, holder: dict[str, Service]) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = [500]

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - began
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            service = self.holder.get("service")
            if service is not None:
                service.metrics.request(scope["method"], template, status[0], seconds)
            LOG.info("%s %s %d %.1fms", scope["method"], template, status[0], seconds * 1000)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem("payload_too_large", f"请求体超过 {limit} 字节 body larger than {limit} "
                                           "bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem("payload_too_large", f"请求体超过 {limit} 字节 body larger than "
                                               f"{limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _event_lines(body: bytes, content_type: str) -> list[tuple[int, str]]:
    """(position, JSON text) of each event of a body: JSON Lines (one per non-blank line,
    numbered by line), or JSON (an object, or an array numbered by position)."""
    media = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Problem("bad_json", f"请求体不是 UTF-8 body is not UTF-8: {err}",
                      status=400) from None
    if media in JSONL_TYPES:
        return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if media not in ("application/json", "") and not media.endswith("+json"):
        raise Problem("unsupported_media_type",
                      f"不支持 `{media}`：请用 application/json 或 application/x-ndjson "
                      f"unsupported content type `{media}`: use application/json or "
                      "application/x-ndjson")
    stripped = text.strip()
    if not stripped:
        raise Problem("bad_json", "请求体为空 empty body", status=400)
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as err:
        raise Problem("bad_json", f"JSON 无法解析：{err.msg}（第 {err.lineno} 行第 {err.colno} "
                                  f"列） / invalid JSON: {err.msg} (line {err.lineno}, column "
                                  f"{err.colno}); JSON Lines need Content-Type "
                                  "application/x-ndjson", status=400) from None
    if isinstance(value, list):
        return [(n, json.dumps(item, ensure_ascii=False)) for n, item in enumerate(value, 1)]
    return [(1, stripped)]


def _negotiate(accept: str) -> str:
    accept = accept.lower()
    if "text/html" in accept:
        return "html"
    if "text/plain" in accept and "application/json" not in accept:
        return "text"
    return "json"


def _letter_html(key: str, letter: str) -> str:
    lines = letter.rstrip("\n").split("\n")
    title = html.escape(lines[0].strip())
    body = "\n".join(f"<p>{html.escape(line) or '&nbsp;'}</p>" for line in lines[1:])
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{title} WZ-{html.escape(key)}</title><style>"
        "body{font-family:'Noto Serif CJK SC','Songti SC',serif;max-width:42em;margin:2em auto;"
        "line-height:1.8}h1{text-align:center;font-size:1.6em;letter-spacing:.3em}"
        "p{margin:0;white-space:pre-wrap}@media print{body{margin:0}@page{size:A4;margin:2.5cm}}"
        f"</style></head><body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )


async def _events(service: Service, after: int, unit: str | None, follow: bool
                  ) -> AsyncIterator[bytes]:
    last = after
    quiet = 0.0
    yield b"retry: 2000\n\n"
    while True:
        rows = await run_in_threadpool(service.log.read, last, unit)
        for row_id, kind, body in rows:
            data = json.dumps(body, ensure_ascii=False, sort_keys=True)
            yield f"id: {row_id}\nevent: {kind}\ndata: {data}\n\n".encode()
            last = row_id
        if rows:
            quiet = 0.0
            continue
        if not follow:
            return
        if service.log.head > last and unit is None:
            continue
        await asyncio.sleep(STREAM_POLL_SECONDS)
        quiet += STREAM_POLL_SECONDS
        if quiet >= STREAM_HEARTBEAT_SECONDS:
            quiet = 0.0
            yield b": keep-alive\n\n"


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components["Event"] = EVENT_SCHEMA
    # a request that does not fit the parameters or the body is a 400 problem (``on_invalid``),
    # never FastAPI's default 422 {"detail": [...]}: the schema says what the service answers
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", "")):  # FastAPI's own
                responses.pop("422")
                responses.setdefault("400", problem_responses(400)[400])
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


# one server-sent event of ``/v1/stream`` (each event is checked against it, as OpenAPI
# describes an event stream's items); ``data`` is the JSON text of the output
STREAM_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One server-sent event: `id` (the output's stable id), `event` (its kind), "
                   "`data` (JSON: kind, at, record[, supersedes, revision]; docs/api.md).",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "event": {"type": "string", "enum": list(STREAM_KINDS)},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "retry": {"type": "integer"},
    },
}

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One case event (docs/events.md).",
    "required": ["id", "type", "at"],
    "properties": {
        "id": {"type": "string"}, "case": {"type": "string"},
        "type": {"type": "string", "description": "received, accepted, decided, … (中文别名)"},
        "at": {"type": "string", "description": "ISO 8601 with a UTC offset"},
        "item": {"type": "string"}, "actor": {"type": "string"}, "post": {"type": "string"},
        "unit": {"type": "string"}, "step": {"type": "string"}, "data": {"type": "object"},
    },
}
