"""Serve stage — the rulebooks kept in the service's store: save, read, list, activate.

``PUT /v1/rulebooks/{name}`` (admin) → the text is loaded and checked here → refused with 422
and every diagnostic when it has errors (nothing is stored: there are no drafts in the store;
the page keeps its draft in the browser and can download it) → :func:`wenze.store.rulebooks.
save_version` (version = the name's last + 1; the same text as the latest version stores
nothing). ``POST /v1/rulebooks/{name}/activate`` (admin) → :meth:`Service.activate
<wenze.serve.service.Service.activate>`: every stored event judged again under the activated
rulebook, the output log reconciled (changed decisions superseded, vanished ones withdrawn,
new ones issued), and the activation recorded. Supervisors read; unit tokens get 403.

**继承 in an uploaded text is confined to the store.** An uploaded rulebook never reads a file
of the server: its ``继承 "NAME.wz"`` reaches only the rulebooks stored under ``NAME``. The
latest stored version of each is written into a private temporary folder and the text is loaded
there with the loader's own confinement (:func:`wenze.dsl.loader.load_text`, WZ119 for anything
leading out of it, WZ104 for a name not stored); the versions it reached are *pinned* in the
stored row (``bases``), so a stored version means the same forever, whatever is stored later.
"""

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from wenze.serve.problems import Problem, problem_responses
from wenze.serve.tokens import Grant
from wenze.store import rulebooks as RB

NAME_PATTERN = r"^[A-Za-z0-9_\-\u3400-\u9fff]{1,80}$"
NAME_RE = re.compile(NAME_PATTERN)
TEXT_TYPES = ("text/plain", "text/x-wenze")


@dataclass(frozen=True)
class Loaded:
    """A text loaded as a stored rulebook: the load result (``rulebook``, ``diagnostics``,
    ``ok``), its diagnostics as JSON with file names as the user wrote them, and the stored
    versions its ``继承`` reached."""

    result: Any
    diagnostics: list[dict[str, Any]]
    bases: dict[str, int]

    @property
    def ok(self) -> bool:
        return bool(self.result.ok)


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise Problem("bad_request", f"规则集名称无效 invalid rulebook name `{name[:80]}`: 1–80 "
                                     "letters, digits, `_`, `-` or Chinese characters")
    return name


def load_stored_text(engine: Any, name: str, text: str, pins: dict[str, int] | None = None
                     ) -> Loaded:
    """Load ``text`` as the rulebook ``name`` of the store: ``继承 "X.wz"`` reaches the
    stored rulebook ``X`` — the version pinned in ``pins``, or (``pins`` None: a new upload)
    the latest one — and nothing else."""
    from wenze.dsl.loader import load_text
    from wenze.dsl.render import to_json

    if pins is None:
        bases = {n: s for n, s in RB.latest_versions(engine).items() if n != name}
    else:
        bases = {}
        for base, version in pins.items():
            found = RB.get_version(engine, base, version)
            if found is None:  # cannot happen: versions are never deleted
                raise Problem("internal_error", f"pinned base `{base}` v{version} is missing")
            bases[base] = found
    with tempfile.TemporaryDirectory(prefix="wenze-rulebooks-") as folder:
        root = Path(folder).resolve()
        for base, stored in bases.items():
            (root / f"{base}.wz").write_text(stored.text, encoding="utf-8")
        top = root / f"{name}.wz"
        top.write_text(text, encoding="utf-8")
        result = load_text(text, str(top), root)
        # the files are called by their stored names: the private folder is never shown
        shown = json.dumps(to_json(result.diagnostics, result.sources), ensure_ascii=False)
        shown = shown.replace(json.dumps(str(root) + "/")[1:-1], "")
        diagnostics = json.loads(shown.replace(root.name, "rulebook store"))
        reached = {Path(f).stem for f in result.sources if f != str(top)}
    used = {n: bases[n].version for n in sorted(reached) if n in bases}
    return Loaded(result, diagnostics, used)


def save_checked(engine: Any, name: str, text: str, author: str | None
                 ) -> tuple[RB.StoredRulebook, bool, list[dict[str, Any]]]:
    """Store ``text`` as the next version of ``name`` when it checks clean, else raise a 422
    problem with its diagnostics (nothing stored). Gives the stored version, whether the text
    (and the bases it reaches) was the latest version's already, so nothing new was stored,
    and its diagnostics (warnings)."""
    loaded = load_stored_text(engine, check_name(name), text)
    if not loaded.ok:
        errors = [d for d in loaded.diagnostics if d["severity"] == "error"]
        raise Problem(errors[0]["code"] if errors else "bad_request",
                      f"规则集有错误，未保存 the rulebook has {len(errors)} error(s); nothing "
                      "was stored", status=422, diagnostics=loaded.diagnostics)
    latest = RB.get_version(engine, name)
    if latest is not None and latest.sha256 == RB.text_sha256(text) \
            and latest.bases == loaded.bases:
        return latest, True, loaded.diagnostics
    return RB.save_version(engine, name, text, author, loaded.bases), False, loaded.diagnostics


# ---------------------------------------------------------------------------------- models


class VersionInfo(BaseModel):
    version: int
    sha256: str
    author: str | None
    created_at: str


class RulebookEntry(BaseModel):
    name: str
    latest: int = Field(description="the newest version's number")
    active: int | None = Field(description="the version in force, if it is this rulebook's")
    versions: list[VersionInfo]


class ActivationInfo(BaseModel):
    id: int
    name: str
    version: int
    author: str | None
    day: str = Field(description="the service's day when it was activated")
    created_at: str


class InForce(BaseModel):
    origin: str = Field(description="store (an activated stored rulebook) | file (--rulebook)")
    name: str | None = Field(description="the stored rulebook's name (origin store)")
    version: int | None = Field(description="its version (origin store)")
    file: str = Field(description="the file name the rulebook goes by")
    rulebook: str = Field(description="the name its 规则集 header gives")


class RulebookList(BaseModel):
    in_force: InForce
    rulebooks: list[RulebookEntry]


class StoredVersion(BaseModel):
    name: str
    version: int
    sha256: str
    bases: dict[str, int] = Field(description="the stored rulebooks its 继承 reached, pinned")
    author: str | None
    created_at: str
    text: str
    active: bool = Field(description="this version is the one in force")
    activations: list[ActivationInfo] = Field(description="when this version was activated")


class SavedVersion(BaseModel):
    name: str
    version: int
    sha256: str
    bases: dict[str, int]
    author: str | None
    created_at: str
    unchanged: bool = Field(description="the text equals the latest version: nothing stored")
    diagnostics: list[dict[str, Any]] = Field(description="warnings (errors refuse the text)")


class ActivateRequest(BaseModel):
    version: int = Field(ge=1, description="the stored version to put in force")


class ActivateAnswer(BaseModel):
    name: str
    version: int
    day: str
    changed: bool = Field(description="false: this version was already in force")
    issued: int = Field(description="outputs issued by judging again (new, superseding, "
                                    "withdrawn)")
    warnings: int
    decisions: int


# ---------------------------------------------------------------------------------- routes


def add_routes(app: FastAPI, service: Any, reader: Any, auth: Any) -> None:
    """``/v1/rulebooks…``; ``service``/``reader`` give the running Service (``reader``: once
    judged up to now), ``auth`` is the bearer-token dependency type."""

    def reads(who: Grant) -> None:
        if not who.reads_all:
            raise Problem("forbidden", "规则集仅供督查与管理令牌读取 rulebooks are read with a "
                                       "supervisor or admin token")

    def writes(who: Grant) -> None:
        if who.scope != "admin":
            raise Problem("forbidden", "仅管理令牌可保存或启用规则集 only an admin token saves "
                                       "or activates rulebooks")

    @app.get("/v1/rulebooks", tags=["rulebooks"], response_model=RulebookList,
             summary="The stored rulebooks, their versions, and the one in force "
                     "(supervisor, admin)",
             responses=problem_responses(401, 403, 503))
    def list_rulebooks(who: auth) -> dict[str, Any]:  # type: ignore[valid-type]
        reads(who)
        s = service()
        return {"in_force": s.in_force.to_json(), "rulebooks": RB.list_rulebooks(s.engine)}

    @app.get("/v1/rulebooks/{name}", tags=["rulebooks"], response_model=StoredVersion,
             summary="One stored rulebook: the latest version, or ?version=N (supervisor, "
                     "admin)",
             responses=problem_responses(400, 401, 403, 404, 503))
    def get_rulebook(name: str, who: auth,  # type: ignore[valid-type]
                     version: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
        reads(who)
        s = service()
        found = RB.get_version(s.engine, check_name(name), version)
        if found is None:
            raise Problem("not_found", f"没有规则集 no stored rulebook `{name}`"
                                       + (f" v{version}" if version else ""))
        force = s.in_force
        return {**found.to_json(),
                "active": force.name == found.name and force.version == found.version,
                "activations": [a.to_json() for a in RB.activations(s.engine, found.name)
                                if a.version == found.version]}

    @app.put(
        "/v1/rulebooks/{name}", tags=["rulebooks"], response_model=SavedVersion,
        status_code=201,
        summary="Save a rulebook's text as its next version (admin); 422 with the diagnostics "
                "when it has errors",
        responses={**problem_responses(400, 401, 403, 413, 415, 422, 503),
                   200: {"description": "The text equals the latest version: nothing stored",
                         "content": {"application/json": {"schema": {
                             "$ref": "#/components/schemas/SavedVersion"}}}}},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["rulebook"],
                "properties": {"rulebook": {"type": "string",
                                            "description": "the rulebook's text (.wz)"}}}},
            "text/plain": {"schema": {"type": "string"}},
        }}},
    )
    async def put_rulebook(name: str, request: Request, who: auth  # type: ignore[valid-type]
                           ) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        writes(who)
        s = service()
        check_name(name)
        text = await _upload_text(request, s.config.max_body_bytes)
        saved, unchanged, diagnostics = await run_in_threadpool(s.save_rulebook, name, text,
                                                                who.label)
        body = {**saved.to_json(with_text=False), "unchanged": unchanged,
                "diagnostics": diagnostics}
        return JSONResponse(body, status_code=200 if unchanged else 201,
                            headers={"Location": f"/v1/rulebooks/{name}?version="
                                                 f"{saved.version}"})

    @app.post("/v1/rulebooks/{name}/activate", tags=["rulebooks"],
              response_model=ActivateAnswer,
              summary="Put a stored version in force (admin): every stored event judged again "
                      "under it; changed decisions superseded, vanished ones withdrawn",
              responses=problem_responses(400, 401, 403, 404, 409, 503))
    def activate(name: str, body: ActivateRequest, who: auth  # type: ignore[valid-type]
                 ) -> dict[str, Any]:
        writes(who)
        s = reader()
        found = RB.get_version(s.engine, check_name(name), body.version)
        if found is None:
            raise Problem("not_found", f"没有规则集 no stored rulebook `{name}` "
                                       f"v{body.version}")
        return s.activate(found, who.label)


async def _upload_text(request: Request, limit: int) -> str:
    """The rulebook text of a PUT: JSON ``{"rulebook": …}`` or the text itself (text/plain)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem("payload_too_large", f"请求体超过 {limit} 字节 body larger than {limit} "
                                           "bytes")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise Problem("payload_too_large", f"请求体超过 {limit} 字节 body larger than "
                                               f"{limit} bytes")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Problem("bad_request", f"请求体不是 UTF-8 body is not UTF-8: {err}") from None
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media.lower() in TEXT_TYPES:
        return raw
    if media.lower() not in ("application/json", ""):
        raise Problem("unsupported_media_type",
                      f"不支持 `{media}`：请用 application/json 或 text/plain unsupported "
                      f"content type `{media}`: use application/json or text/plain")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise Problem("bad_request", f"JSON 无法解析 invalid JSON: {err.msg}") from None
    if not isinstance(value, dict) or not isinstance(value.get("rulebook"), str):
        raise Problem("bad_request", '须为 {"rulebook": "…"} the body must be '
                                     '{"rulebook": "<text>"}')
    return str(value["rulebook"])
