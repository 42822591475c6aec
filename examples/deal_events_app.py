"""A Bitrix24 application with FastAPI: it installs, keeps each portal's tokens, binds
ONCRMDEALADD, and reads every new deal back with the typed client.

Run it for a real portal (the app's handler URLs must be reachable by the portal)::

    B24_CLIENT_ID=... B24_CLIENT_SECRET=... APP_URL=https://app.example.com \\
        python examples/deal_events_app.py --port 8000

tests/test_deal_events_app.py runs it end to end against the fake portal over loopback.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at runtime,
# and they name the dependency built inside create_app.
import argparse
import logging
import os
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI

from b24typed.events import Event, Install
from b24typed.events.fastapi import event_dependency, install_dependency
from b24typed.events.models import OnCrmDealAdd
from b24typed.tokens import SQLiteTokenStore, TokenStore

logger = logging.getLogger("deal_events_app")

DEAL = 2  # the CRM entity type id of deals


@dataclass
class Settings:
    client_id: str
    client_secret: str
    public_url: str  # where the portal reaches this application
    store: TokenStore
    client_options: dict[str, Any] = field(default_factory=dict)  # e.g. http_client=


@dataclass
class SeenDeal:
    member_id: str
    deal_id: int
    title: str | None


def create_app(settings: Settings) -> FastAPI:
    """The application: ``/install`` for the portal's installer, ``/events`` for events."""
    app = FastAPI()
    seen: list[SeenDeal] = []
    app.state.seen = seen

    def application_token(member_id: str) -> str | None:
        tokens = settings.store.get(member_id) if member_id else None
        if tokens is None or tokens.application_token is None:
            return None
        return tokens.application_token.reveal()

    credentials = {"client_id": settings.client_id, "client_secret": settings.client_secret}
    verified_event = Depends(event_dependency(application_token=application_token))

    @app.post("/install")
    def install(install: Annotated[Install, Depends(install_dependency())]) -> dict[str, str]:
        install.save(settings.store)
        with install.client(**credentials, **settings.client_options) as b24:
            b24.event.bind(event="ONCRMDEALADD", handler=f"{settings.public_url}/events")
        logger.info("installed on %s", install.domain)
        return {"installed": install.domain}

    @app.post("/events")
    def on_event(
        event: Annotated[Event[Any], verified_event],
    ) -> dict[str, str]:
        if not isinstance(event, OnCrmDealAdd) or event.data.fields.id is None:
            return {"ignored": event.event}
        with event.client(
            **credentials, token_store=settings.store, **settings.client_options
        ) as b24:
            deal = b24.crm.item.get(entity_type_id=DEAL, id=event.data.fields.id).item
        seen.append(SeenDeal(event.auth.member_id or "", event.data.fields.id, deal.title))
        logger.info("deal %s: %s", event.data.fields.id, deal.title)
        return {"deal": str(event.data.fields.id)}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tokens", default=os.environ.get("B24_TOKEN_DB", "tokens.db"))
    args = parser.parse_args()
    settings = Settings(
        client_id=os.environ["B24_CLIENT_ID"],
        client_secret=os.environ["B24_CLIENT_SECRET"],
        public_url=os.environ["APP_URL"].rstrip("/"),
        store=SQLiteTokenStore(args.tokens),
    )
    uvicorn.run(create_app(settings), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
