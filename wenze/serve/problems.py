"""Serve stage — errors as RFC 9457 ``application/problem+json``.

Every error answer carries ``type``, ``title``, ``status``, ``detail`` and ``code``: the CLI's
codes where the CLI has one (event rejections such as ``bad_json``, ``missing_field``,
``unknown_item``; rulebook diagnostics ``WZ…``), otherwise one of :data:`CODES`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://wenze.invalid/problems/"

# code → (status, title)
CODES: dict[str, tuple[int, str]] = {
    "unauthorized": (401, "缺少或无效的令牌 missing or invalid token"),
    "forbidden": (403, "无权访问 not allowed for this token"),
    "not_found": (404, "未找到 not found"),
    "bad_request": (400, "请求有误 bad request"),
    "rejected_events": (400, "部分事件被拒收 some events were rejected"),
    "payload_too_large": (413, "请求体过大 request body or batch too large"),
    "unsupported_media_type": (415, "不支持的内容类型 unsupported content type"),
    "conflict": (409, "状态冲突 conflict with the service's state"),
    "not_ready": (503, "服务尚未就绪 service not ready"),
    "internal_error": (500, "内部错误 internal error"),
}


class Problem(Exception):
    """An error answer; raise it from an endpoint."""

    def __init__(self, code: str, detail: str, status: int | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status or CODES[code][0]
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        title = CODES.get(self.code, (self.status, self.code))[1]
        return {"type": TYPE_BASE + self.code, "title": title, "status": self.status,
                "detail": self.detail, "code": self.code, **self.extra}

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="wenze"'} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, media_type=MEDIA_TYPE,
                            headers=headers)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem answers an endpoint can give."""
    return {
        s: {"description": _describe(s),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for s in statuses
    }


def _describe(status: int) -> str:
    return {400: "Bad request", 401: "No or bad token", 403: "Not allowed for this token",
            404: "Not found", 409: "Conflict", 413: "Body or batch too large",
            422: "The rulebook has errors (its diagnostics in `diagnostics`)",
            415: "Unsupported content type", 503: "Not ready"}.get(status, "Error")
