"""Serve stage — the office workbench (the web page in ``web/``) served at ``/``.

The built page (``wenze/serve/static/``, made by ``npm run build`` in ``web/``, git-ignored)
is served at ``/`` after every API route; without a build, ``/`` says how to make one.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"

NOT_BUILT = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>wenze 问责</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>网页尚未构建 The page is not built</h1>
<p>在仓库中运行 Run in the repository: <code>bash scripts/setup.sh</code>
（需要 npm needs npm; or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>），
然后重新启动 then restart <code>wenze serve</code>.</p>
<p>接口照常可用 The API works as usual: <code>/v1/…</code>.</p></body></html>
"""


def mount_page(app: FastAPI) -> None:
    """Serve the built page at ``/`` (after every API route), or say how to build it."""
    if (STATIC / "index.html").is_file():
        app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
        return

    @app.get("/", include_in_schema=False)
    def not_built() -> HTMLResponse:
        return HTMLResponse(NOT_BUILT)
