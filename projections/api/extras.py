"""The dashboard and the TT&CG pack, mounted on the read-side API.

- ``GET /dashboard``: the analysts' page (``projections/dashboard``), for analysts only, since it
  shows the evidence's text. A browser cannot send a bearer token, so ``/dashboard/login`` takes the
  token once in a form (never in a URL, which the audit log records) and sets it as an HttpOnly cookie
  that the access middleware reads like the header.
- ``POST /api/v1/briefings``: build a TT&CG pack (``projections/briefing``) on the service's machine.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import Annotated
from urllib.parse import parse_qs

import duckdb
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from connectors.placing import Neighbourhoods
from engage.errors import ConfigurationError
from engage.settings import Settings
from projections.api.access import Principal, Tokens
from projections.api.app import TOKEN_COOKIE, reader
from projections.api.policy import View
from projections.briefing.command import handle_request
from projections.dashboard import InvalidDashboardRequest, render_query

MAX_FORM_BYTES = 4096

_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>engage: sign in</title>
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'">
</head><body style="font-family: sans-serif; max-width: 36em; margin: 4em auto">
<h1>Neighbourhood engagement dashboard</h1>
<p>{message}</p>
<form method="post" action="/dashboard/login">
<label>Analyst token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Open the dashboard</button>
</form>
<p>On the service's machine, the local analyst token is in <code>var/run/analyst.token</code>
(<code>engage token</code> makes others).</p>
</body></html>"""


def router(
    settings: Settings,
    tokens: Tokens,
    neighbourhoods: Neighbourhoods,
    cursor: Callable[[], duckdb.DuckDBPyConnection],
) -> APIRouter:
    """The routes, reading through fresh cursors of the service's one connection."""
    routes = APIRouter()

    @routes.get("/dashboard", response_class=HTMLResponse, tags=["dashboard"])
    def dashboard(request: Request, _: Annotated[Principal, Depends(reader(View.EVIDENCE))]) -> Response:
        """The analysts' dashboard as of ``?as_of=`` (default: the newest data), ``?area=`` a ward id."""
        try:
            with closing(cursor()) as cur:
                page = render_query(cur, neighbourhoods, request.url.query)
        except InvalidDashboardRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return HTMLResponse(page)

    @routes.get("/dashboard/login", response_class=HTMLResponse, tags=["dashboard"])
    def login_form() -> Response:
        """A form that takes an analyst token once and keeps it in an HttpOnly cookie."""
        return HTMLResponse(_LOGIN_PAGE.format(message="Sign in with an analyst token."))

    @routes.post("/dashboard/login", tags=["dashboard"])
    async def login(request: Request) -> Response:
        """Check the token from the form; on success set the cookie and go to the dashboard."""
        body = await request.body()
        token = (parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).get("token") or [""])[0].strip()
        principal = tokens.lookup(token) if token else None
        if principal is None:
            return HTMLResponse(
                _LOGIN_PAGE.format(message="That token is not known; try again."), status_code=401
            )
        answer = RedirectResponse("/dashboard", status_code=303)
        answer.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
        return answer

    @routes.post("/api/v1/briefings", tags=["briefings"])
    async def briefing(
        request: Request, _: Annotated[Principal, Depends(reader(View.OPERATIONS))]
    ) -> Response:
        """Build the TT&CG pack for ``{"area", "as_of", "neighbourhoods"?, "previous_as_of"?}``.

        Answers the pack's manifest and the folder it was written to, on the service's machine.
        """
        body = await request.body()
        try:
            with closing(cursor()) as cur:
                answer = handle_request(cur, settings, body)
        except ConfigurationError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(answer)

    return routes
